from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from sunshine.content import services
from sunshine.content.models import Article, ArticleVersion, Kind, Status
from sunshine.extensions import db
from sunshine.guard import PersonalDataFound
from sunshine.search.index import search
from tests.conftest import apply_search
from tests.content.conftest import write_news, write_policy
from tests.factories import make_user

pytestmark = pytest.mark.postgres

TODAY = date(2026, 11, 28)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Article)) or 0


def test_sync_loads_renders_and_is_idempotent(app, regions, content_dir) -> None:
    report = services.sync_folder(content_dir)
    assert len(report.created) == 4 and not report.errors
    article = services.get_public(Kind.POLICY, "weifang-2019")
    assert "<table>" in article.body_html and "<h2 id=" in article.body_html
    again = services.sync_folder(content_dir)
    assert again.unchanged == 4 and not again.created and not again.updated
    assert db.session.scalar(select(func.count()).select_from(ArticleVersion)) == 4


def test_a_changed_file_updates_and_a_removed_file_unpublishes(app, regions, content_dir) -> None:
    services.sync_folder(content_dir)
    write_policy(content_dir, "weifang-2019", "2019年农村危房改造补助标准（修订）")
    gone = write_news(content_dir, "chanye-2020", "x")
    gone.unlink()
    report = services.sync_folder(content_dir)
    assert len(report.updated) == 1 and len(report.unpublished) == 1
    article = services.get_public(Kind.POLICY, "weifang-2019")
    assert article.title.endswith("（修订）") and article.version == 2
    assert article.changed_after_publish_at is not None and article.change_note
    assert services.get_public(Kind.NEWS, "chanye-2020") is None


def test_bad_files_are_reported_with_path_and_line(app, regions, content_dir) -> None:
    bad = content_dir / "policies" / "bad.md"
    bad.write_text('+++\ntitle = "缺引号\nslug = "x"\n+++\n正文\n', encoding="utf-8")
    no_topic = content_dir / "policies" / "no-topic.md"
    no_topic.write_text('+++\ntitle = "t"\ndate = 2020-01-01\nslug = "nt"\ntopic = "别的"\n'
                        '+++\n正文\n', encoding="utf-8")
    leaky = write_policy(content_dir, "leaky", "含身份证号",
                         body="申请人 11010519491231002X 请到村委会领取。")
    report = services.sync_folder(content_dir)
    errors = {e.path: e for e in report.errors}
    assert errors[str(bad)].line == 2
    assert errors[str(no_topic)].line == 5 and "topic" in errors[str(no_topic)].message
    assert "身份证号" in errors[str(leaky)].message
    assert len(report.created) == 4  # the good ones still load


def test_an_article_about_another_province_is_passed_over(app, regions, content_dir) -> None:
    services.sync_folder(content_dir)
    moved = write_news(content_dir, "chanye-2020", "兴宁区产业扶贫见成效", region="530602000000")
    report = services.sync_folder(content_dir)
    key = str(moved.relative_to(content_dir))
    assert report.elsewhere == [key] and not report.errors and not report.created
    assert report.unpublished == [key]  # loaded while it was about Guangxi


def test_filters_region_topic_year_and_expiry(app, regions, content_dir) -> None:
    services.sync_folder(content_dir)

    def slugs(kind: Kind, **kw) -> set[str]:
        query = services.public_query(kind, services.Filters(**kw), TODAY)
        return {a.slug for a in db.session.execute(query).scalars()}

    assert slugs(Kind.POLICY) == {"weifang-2019", "xiaoe-xindai"}
    assert "old-school-aid" in slugs(Kind.POLICY, include_expired=True)
    assert slugs(Kind.POLICY, category="小额信贷") == {"xiaoe-xindai"}
    # A province policy applies in a village; a county's news is not shown for another county.
    assert slugs(Kind.POLICY, region="450102101201") == {"weifang-2019", "xiaoe-xindai"}
    assert slugs(Kind.NEWS, region="450102000000") == {"chanye-2020"}
    assert slugs(Kind.NEWS, region="450103000000") == set()
    assert slugs(Kind.NEWS, year=2020) == {"chanye-2020"}
    assert slugs(Kind.NEWS, year=2019) == set()


def _fields(**overrides) -> services.ArticleFields:
    values = dict(kind=Kind.NEWS, title="春耕种子补贴发放", slug="chungeng", summary="摘要",
                  body_md="## 发放情况\n\n已发放到户。", category="工作动态", level="县",
                  region_code="450102000000", issuer="兴宁区扶贫办", published_on=TODAY)
    values.update(overrides)
    return services.ArticleFields(**values)


def test_editor_saves_publishes_edits_and_every_version_is_kept(app, regions) -> None:
    editor = make_user("editor-x", role="editor", region_code="450102000000")
    article = services.save_article(editor, _fields())
    assert article.status == Status.DRAFT
    services.publish(article, editor)
    apply_search(app)
    assert search(app.config["SEARCH_INDEX_DIR"], "种子补贴").hits[0].url == "/news/chungeng"
    with pytest.raises(services.ArticleError, match="修改了什么"):
        services.save_article(editor, _fields(title="春耕种子补贴已全部发放"), article)
    db.session.rollback()
    services.save_article(editor, _fields(title="春耕种子补贴已全部发放"), article,
                          change_note="更正发放进度")
    assert article.change_note == "更正发放进度" and article.changed_after_publish_at
    assert [v.version for v in article.versions] == [3, 2, 1]
    services.unpublish(article, editor, "信息过时")
    apply_search(app)
    assert search(app.config["SEARCH_INDEX_DIR"], "种子补贴").total == 0


def test_publishing_is_refused_while_personal_numbers_remain(app, regions) -> None:
    editor = make_user("editor-y", role="editor", region_code="450102000000")
    article = services.save_article(editor, _fields(body_md="联系人手机 13812345678"))
    with pytest.raises(PersonalDataFound) as caught:
        services.publish(article, editor)
    assert [f.kind for f in caught.value.findings] == ["mobile"]
    db.session.rollback()
    assert db.session.get(Article, article.id).status == Status.DRAFT


def test_editors_stay_inside_their_region(app, regions) -> None:
    from sunshine.failures import PermissionDenied

    editor = make_user("editor-z", role="editor", region_code="450102000000")
    with pytest.raises(PermissionDenied):
        services.save_article(editor, _fields(region_code="450103000000"))
    db.session.rollback()
    assert _count() == 0


def test_the_demo_articles_all_load_and_their_attachments_exist(app, regions) -> None:
    from sunshine.config import PROJECT_ROOT
    from sunshine.content.models import POLICY_TOPICS

    report = services.sync_folder(PROJECT_ROOT / "content")
    assert report.errors == []
    assert len(report.created) >= 12
    topics = set(db.session.execute(select(Article.category).where(
        Article.kind == Kind.POLICY)).scalars())
    assert topics == set(POLICY_TOPICS)
    for article in db.session.execute(select(Article)).scalars():
        for attachment in article.attachments:
            if attachment["url"].startswith("/static/"):
                assert (PROJECT_ROOT / attachment["url"].lstrip("/")).is_file(), attachment
