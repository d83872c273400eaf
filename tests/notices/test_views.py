"""Public pages: the list (open first, filters, pages, empty state, CSV), a notice with its
countdown and objection form (closed after the period), the print page, the feed, the API,
the home page block, the sitemap and search."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from sunshine.complaints.models import Case
from sunshine.extensions import db
from sunshine.notices import objections, services
from sunshine.notices.models import NoticeKind
from sunshine.search.index import rebuild
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX, SAMPLE, code_from
from tests.notices.conftest import (
    MORNING,
    START,
    VILLAGE,
    VILLAGE_2,
    draft,
    objection_data,
    published,
)


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case)) or 0


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_the_list_is_empty_at_first_and_says_so(client, regions, clock) -> None:
    page = _text(client.get("/notices/"))
    assert "没有符合条件的公示公告" in page
    assert "/feeds/notices.xml" in page and "/notices/export.csv" in page


def test_open_notices_come_first_and_filters_work(client, users, register, clock) -> None:
    clock.set(MORNING - timedelta(days=20))
    old = published(users["county"], kind=NoticeKind.EXIT, region=VILLAGE_2, year=2019,
                    start=START - timedelta(days=20), title="早先的退出公示")
    clock.set(MORNING)
    later = published(users["county"], start=START + timedelta(days=3), title="即将开始的公示")
    now_open = published(users["county"], kind=NoticeKind.MONITORING,
                         region=f"{COUNTY_PREFIX}102000", year=2019, title="正在公示的返贫公示")
    page = _text(client.get("/notices/"))
    assert page.index(now_open.title) < page.index(later.title) < page.index(old.title)
    assert "公示中" in page and "待发布" in page and "公示期满" in page
    only_open = _text(client.get("/notices/?state=open"))
    assert now_open.title in only_open and old.title not in only_open
    exits = _text(client.get("/notices/?kind=exit"))
    assert old.title in exits and later.title not in exits
    # A village's list shows its own notices and those of the regions above it.
    village = _text(client.get(f"/notices/?region={VILLAGE}"))
    assert later.title in village and old.title not in village
    other = _text(client.get(f"/notices/?region={SAMPLE['other_county']}"))
    assert "没有符合条件的公示公告" in other
    for junk in ("?state=nope&kind=<b>&region=12", "?page=abc", "?region=999999999999"):
        assert client.get("/notices/" + junk).status_code == 200


def test_the_list_pages(app, client, users, register, clock) -> None:
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        draft_notice = draft(users["county"], title=f"第{n}条")
        services.withdraw(users["county"], draft_notice, "不用了")  # drafts never show
        published(users["county"], title=f"公示{n}号", start=START + timedelta(days=n))
    first, second = _text(client.get("/notices/")), _text(client.get("/notices/?page=2"))
    assert "第 1 / 2 页" in first and 'rel="next"' in first
    assert len(re.findall("公示\\d号", first)) == 2 and len(re.findall("公示\\d号", second)) == 1
    assert "第0条" not in first + second


def test_the_csv_has_a_bom_and_no_formulas(client, users, register, clock) -> None:
    published(users["county"], title="=HYPERLINK(\"http://x\")")
    response = client.get("/notices/export.csv?state=open")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["编号", "标题", "类型"]
    assert rows[1][1].startswith("'=") and rows[1][7] == "公示中" and rows[1][8] == "7"
    entries = list(csv.reader(io.StringIO(_text(client.get("/notices/1/export.csv"))[1:])))
    assert entries[0] == ["序号", "户主姓名", "村代码", "所在村", "家庭人口", "主要致贫原因"]
    assert [r[1] for r in entries[1:3]] == ["张*", "欧**华"]


def test_a_notice_counts_down_and_closes_its_form(app, client, users, register, clock) -> None:
    notice = published(users["county"])
    page = _text(client.get(f"/notices/{notice.id}"))
    assert "距公示期结束还有" in page and '<strong class="days">7</strong>' in page
    assert "2026-03-02" in page and "2026-03-08" in page
    assert 'action="/notices/1/objection"' in page and "欧**华" in page
    clock.set(clock.day(7, hour=20))
    assert '<strong class="days">1</strong>' in _text(client.get(f"/notices/{notice.id}"))
    clock.set(clock.day(8, hour=0))
    closed = _text(client.get(f"/notices/{notice.id}"))
    assert "公示期已满" in closed and "网上异议已关闭" in closed
    assert 'action="/notices/1/objection"' not in closed
    response = client.post(f"/notices/{notice.id}/objection", data=objection_data(app))
    assert response.status_code == 400 and "已于 2026-03-08 结束" in _text(response)
    assert _cases() == 0


def test_an_objection_through_the_form_gets_a_code(app, client, users, register, clock) -> None:
    notice = published(users["county"])
    entry = notice.entries[1]
    page = _text(client.get(f"/notices/{notice.id}?entry={entry.id}"))
    assert f'<option selected value="{entry.id}">' in page
    response = client.post(f"/notices/{notice.id}/objection", data=objection_data(
        app, entry=str(entry.id)))
    assert response.status_code == 200, _text(response)[:2000]
    assert response.headers["Cache-Control"] == "no-store"
    code = code_from(_text(response))
    track = _text(client.post("/complaints/track", data={"code": code}))
    assert "异议" in track and "已提交" in track
    [found] = objections.objections_of(notice)
    assert found.entry.id == entry.id and found.case.body.startswith("这户家里")
    assert "收到异议 1 条" in _text(client.get("/notices/"))


def test_bad_objections_answer_400_in_chinese(app, client, users, register, clock) -> None:
    notice = published(users["county"])
    for data in ({"body": ""}, {"entry": "999999"}, {"entry": "abc"},
                 {"identity": "named", "name": "王", "phone": "12"}, {"identity": "x"}):
        response = client.post(f"/notices/{notice.id}/objection",
                               data=objection_data(app, **data))
        assert response.status_code == 400, data
        assert "需要修改" in _text(response) or "请" in _text(response)
    assert _cases() == 0
    assert client.post("/notices/999/objection", data=objection_data(app)).status_code == 404


def test_suspect_objections_wait_for_a_person(app, client, users, register, clock) -> None:
    notice = published(users["county"])
    response = client.post(f"/notices/{notice.id}/objection",
                           data=objection_data(app, started=""))
    assert response.status_code == 200 and "tracking-code" in _text(response)
    assert db.session.scalars(select(Case)).one().moderation.value == "held"


def test_drafts_are_not_public(client, users, register, clock) -> None:
    notice = draft(users["county"])
    for path in (f"/notices/{notice.id}", f"/notices/{notice.id}/print",
                 f"/notices/{notice.id}/export.csv", f"/api/v1/notices/{notice.id}"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/api/v1/notices/{notice.id}").get_json() == {"error": "没有这条公示"}
    assert "新识别贫困户公示" not in _text(client.get("/feeds/notices.xml"))


def test_the_print_page_has_the_list_the_phones_and_a_qr_code(client, users, register,
                                                              clock) -> None:
    notice = published(users["county"])
    page = _text(client.get(f"/notices/{notice.id}/print"))
    assert "<h1>新识别贫困户公示</h1>" in page and "12317" in page
    assert "2026-03-08</strong> 24 时前" in page
    assert '<svg viewBox=' in page and 'class="qr"' in page
    assert f"http://localhost/notices/{notice.id}" in page
    assert "欧**华" in page and "第 1 页，共 1 页" in page


def test_the_feed_and_its_region_filter(client, users, register, clock) -> None:
    mine = published(users["county"])
    other = published(users["other"], region=f"{OTHER_PREFIX}101201", title="外县公示")
    feed = client.get("/feeds/notices.xml")
    assert feed.mimetype == "application/atom+xml"
    body = _text(feed)
    assert f"/notices/{mine.id}</id>" in body and "外县公示" in body
    narrowed = _text(client.get(f"/feeds/notices.xml?region={VILLAGE}"))
    assert mine.title in narrowed and other.title not in narrowed
    assert client.get("/feeds/notices.xml?region=<x>").status_code == 200


def test_the_api_lists_and_details(client, users, register, clock) -> None:
    notice = published(users["county"])
    objections.file_objection(notice, "有车")
    data = client.get("/api/v1/notices?per_page=5").get_json()
    assert set(data) == {"items", "page", "per_page", "total"}
    assert data["total"] == 1 and data["per_page"] == 5
    item = data["items"][0]
    assert item["state"] == "open" and item["days_left"] == 7 and item["start"] == "2026-03-02"
    assert item["objections"] == {"received": 1, "resolved": 0}
    detail = client.get(f"/api/v1/notices/{notice.id}").get_json()
    assert [e["name"] for e in detail["list"]][:2] == ["张*", "欧**华"]
    assert set(detail["list"][0]) == {"position", "name", "village", "household_size", "reason"}
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/notices", "/api/v1/notices/{id}"} <= set(spec["paths"])


def test_home_sitemap_and_search(app, client, users, register, clock) -> None:
    notice = published(users["county"])
    home = _text(client.get("/"))
    assert "正在公示" in home and notice.title in home
    assert f"/notices/{notice.id}" in _text(client.get("/sitemap.xml"))
    rebuild(app.config["SEARCH_INDEX_DIR"])
    assert f"/notices/{notice.id}" in _text(client.get("/search?q=新识别贫困户"))
    # Entries are not indexed at all, not even masked.
    assert f"/notices/{notice.id}" not in _text(client.get("/search?q=欧**华"))
