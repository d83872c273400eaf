"""Place names as best bets, pinyin, suggestions, and the synonym groups editors keep."""

from __future__ import annotations

import pytest

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.registry import SearchDoc, registry
from sunshine.search import places, synonyms
from sunshine.search.index import rebuild, search, update
from sunshine.search.suggest import best_bets, suggest
from tests.conftest import SAMPLE
from tests.factories import make_user
from tests.test_pagecache_visitors import served_in_front

pytestmark = pytest.mark.postgres


def test_short_names_drop_the_ending_and_the_peoples_name() -> None:
    assert places.short_names("都安瑶族自治县") == ["都安瑶族自治县", "都安瑶族", "都安"]
    assert places.short_names("龙胜各族自治县") == ["龙胜各族自治县", "龙胜各族", "龙胜"]
    assert places.short_names("兴宁区") == ["兴宁区", "兴宁"]
    assert places.short_names("城区") == ["城区"]  # one character left: no short name
    keys = places.keys("都安瑶族自治县")
    assert {"都安", "duan", "douan", "da", "都安瑶族"} <= set(keys)


@pytest.fixture
def articles(app, regions):
    texts = {
        "1": ("2019年农村危房改造补助标准",
              "今年易地扶贫搬迁家庭有发展能力的，各项指标均达到要求。"),
        "2": ("小额信贷政策问答", "建档立卡户可以申请扶贫小额信贷，享受财政贴息。"),
        "3": ("城乡建设动态", "城乡建设用地增减挂钩节余指标交易。"),
    }

    def docs():
        for key, (title, body) in texts.items():
            yield SearchDoc(id=f"test:{key}", type="policy", title=title, body=body,
                            url=f"/x/{key}", region_code=SAMPLE["county"], date="2019-03-01")

    registry().add_search_source("test", docs)
    rebuild(app.config["SEARCH_INDEX_DIR"])
    yield app.config["SEARCH_INDEX_DIR"]
    registry().search_sources.pop("test")


def test_fragments_inside_words_find_their_document_and_are_marked(articles) -> None:
    for fragment in ("迁家庭有", "有发展能", "指标均达", "项指"):
        found = search(articles, f'"{fragment}"')
        assert [h.url for h in found.hits] == ["/x/1"], fragment
        assert f"<mark>{fragment}</mark>" in found.hits[0].snippet
    # Unquoted, a word jieba cannot cut is looked up as a fragment too.
    assert [h.url for h in search(articles, "指标均达").hits] == ["/x/1"]
    # Whole words first: 城乡建设 is a word of document 3, a fragment elsewhere at most.
    assert search(articles, '"城乡建设"').hits[0].url == "/x/3"
    assert search(articles, '"家庭没有"').total == 0


def test_pinyin_and_initials_find_titles(articles) -> None:
    for typed in ("weifang gaizao", "weifanggaizao", "wfgz", "xiaoe xindai"):
        urls = [h.url for h in search(articles, typed).hits]
        assert urls and urls[0] == ("/x/2" if typed.startswith("xiao") else "/x/1"), typed


def test_a_region_named_in_the_query_comes_first_as_a_best_bet(app, client, articles) -> None:
    county, name = SAMPLE["county"], SAMPLE["county_name"]
    short = places.short_names(name)[-1]
    spelled = places.keys(short)
    for typed in (name, short, *spelled[1:2]):
        bets = best_bets(articles, typed)
        assert bets and bets[0].code == county, typed
    page = client.get(f"/search?q={short}").get_data(as_text=True)
    assert 'class="best-bet"' in page and f'href="/stats/{county}"' in page
    assert f"/notices/?region={county}" in page and f"/funds/?region={county}" in page
    assert f"/projects/?region={county}" in page
    trail = f"{SAMPLE['province_name']} › {SAMPLE['city_name']} › {name}"
    assert f"<p>{trail}</p>" in page  # the bet's ancestors, from the index
    assert 'class="best-bet"' not in client.get("/search?q=危房改造").get_data(as_text=True)


def test_suggestions_offer_regions_and_titles(app, client, articles) -> None:
    short = places.short_names(SAMPLE["county_name"])[-1]
    answer = client.get(f"/search/suggest?q={short}").get_json()
    assert answer["regions"][0]["code"] == SAMPLE["county"]
    spelled = places.keys(short)[1]  # its pinyin, e.g. xingning: typed on a phone
    assert SAMPLE["county"] in [r["code"] for r in suggest(articles, spelled)["regions"]]
    titles = client.get("/search/suggest?q=危房").get_json()["titles"]
    assert titles == [{"title": "2019年农村危房改造补助标准", "url": "/x/1"}]
    assert suggest(articles, "d") == {"regions": [], "titles": []}
    assert client.get("/search/suggest").get_json() == {"regions": [], "titles": []}
    page = client.get("/search?q=危房").get_data(as_text=True)
    assert 'data-suggest="/search/suggest"' in page and "js/suggest" in page


@pytest.mark.own_app  # served_in_front adds a request hook
def test_suggestions_are_kept_in_front_with_an_etag_until_the_index_changes(
        app, client, articles) -> None:
    url = "/search/suggest?q=危房"
    first, front = served_in_front(app, client, url)
    assert not front and first.get_json()["titles"][0]["url"] == "/x/1"
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again, front = served_in_front(app, client, url)
    assert front and again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    _, front = served_in_front(app, app.test_client(), url)  # another visitor
    assert front
    unchanged = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    update(articles, [SearchDoc(id="test:9", type="news", title="危房改造新闻",
                                body="危房", url="/x/9", date="2020-01-01")], ["test:1"])
    changed, front = served_in_front(app, client, url)
    assert not front and [t["url"] for t in changed.get_json()["titles"]] == ["/x/9"]
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_synonyms_are_applied_at_query_time(app, articles) -> None:
    words = {"贫困户": ["建档立卡户"], "建档立卡户": ["贫困户"]}
    assert search(articles, "贫困户").total == 0
    assert [h.url for h in search(articles, "贫困户", synonyms=words).hits] == ["/x/2"]


@pytest.mark.parametrize("page_cache", [True, False])
def test_the_search_page_follows_a_synonym_group_at_once(app, client, articles,
                                                         page_cache) -> None:
    """Parsed queries and the groups are kept per worker: a group saved or deleted shows at
    the next request, whether the page cache keeps the page or not."""
    app.config["PAGE_CACHE"] = page_cache

    def urls() -> list[str]:
        page = client.get("/search?q=贫困户").get_data(as_text=True)
        return [url for url in ("/x/1", "/x/2", "/x/3") if f'href="{url}"' in page]

    assert urls() == []
    group = synonyms.save_group("贫困户 建档立卡户", None)
    db.session.commit()
    assert urls() == ["/x/2"]
    synonyms.delete_group(group, None)
    db.session.commit()
    assert urls() == []


def test_province_admins_keep_the_synonym_groups(app, client_for, regions) -> None:
    make_user("admin-a", Role.ADMIN, None)
    make_user("staff-a", Role.STAFF)
    assert client_for("staff-a").get("/admin/search/synonyms").status_code == 403
    admin = client_for("admin-a")
    assert admin.get("/admin/search/synonyms").status_code == 200
    added = admin.post("/admin/search/synonyms", data={"words": "低保，最低生活保障"})
    assert added.status_code == 302
    group = synonyms.list_groups()[0]
    assert group.word_list == ["低保", "最低生活保障"]
    assert synonyms.groups_by_word()["低保"] == ["最低生活保障"]
    clash = admin.post("/admin/search/synonyms", data={"words": "低保 低保户"})
    assert clash.status_code == 400 and "已在另一组" in clash.get_data(as_text=True)
    alone = admin.post("/admin/search/synonyms", data={"words": "低保户"})
    assert alone.status_code == 400 and "至少填写两个" in alone.get_data(as_text=True)
    assert "最低生活保障" in admin.get(f"/admin/search/synonyms/{group.id}").get_data(as_text=True)
    edited = admin.post(f"/admin/search/synonyms/{group.id}", data={"words": "低保 低保金"})
    db.session.expire_all()
    assert edited.status_code == 302 and synonyms.list_groups()[0].words == "低保 低保金"
    assert admin.post(f"/admin/search/synonyms/{group.id}/delete").status_code == 302
    assert synonyms.list_groups() == []
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions[-3:] == ["synonyms_created", "synonyms_changed", "synonyms_deleted"]


def test_a_node_whose_index_lacks_todays_fields_rebuilds_it(app, regions) -> None:
    """An index made before the bigram, pinyin and place fields is rebuilt by the next apply,
    not fed documents it has no fields for."""
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, Schema

    from sunshine.search import node
    from sunshine.search.index import outdated

    assert node.apply_pending().rebuilt is not None  # a first position
    assert node.apply_pending().rebuilt is None
    folder = node.folder()
    whoosh_index.create_in(str(folder), Schema(id=ID(stored=True, unique=True)))
    assert outdated(folder)
    assert node.apply_pending().rebuilt is not None
    assert not outdated(folder) and best_bets(folder, SAMPLE["county_name"])


def test_odd_queries_answer_without_error(app, client, articles) -> None:
    for text in ['"', '""', '" "', '"危房', "'", "-", "xi'an", "ａｂｃ", "🙂", "\u200b", "a" * 300,
                 "危" * 200, '"危房改造" OR', "dz", "2019年"]:
        search(articles, text)
        best_bets(articles, text)
        suggest(articles, text)
        assert client.get("/search", query_string={"q": text}).status_code == 200
        assert client.get("/search/suggest", query_string={"q": text}).status_code == 200
    assert [h.url for h in search(articles, '"危房').hits] == ["/x/1"]
