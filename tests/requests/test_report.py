"""The annual report's cells equal counts over requests built for it (new, carried over, by
outcome and basis, by applicant type, carried to next year), each cell links to exactly its
records, the CSV says the same, and the compliance page counts each office. Also run on
PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest

from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.regions.services import children_of
from sunshine.requests import handling, report, services, timeliness
from sunshine.requests.models import (
    Appeal,
    AppealKind,
    AppealResult,
    ApplicantType,
    OfficeKind,
    Outcome,
)
from tests.conftest import SAMPLE
from tests.requests.conftest import china, file

pytestmark = pytest.mark.postgres

OFFICE = f"{SAMPLE['county']}-rural"


def _answer(info, staff, outcome, basis, when, **extra) -> None:
    handling.answer(info, staff, handling.Answer(outcome, basis, "答复内容。", **extra), now=when)


@pytest.fixture
def year_of_requests(app, regions, users) -> dict[str, int]:
    staff = users["county"]
    made: dict[str, int] = {}
    old, _ = file(now=china(12, 1, 2025))  # answered in 2025: only in 2025's report
    _answer(old, staff, Outcome.DISCLOSED, "open", china(12, 5, 2025))
    carried, _ = file(now=china(12, 22, 2025))  # into 2026 and answered there
    _answer(carried, staff, Outcome.PARTIAL, "third_party", china(1, 8), withheld="报价单")
    made["carried"] = carried.id
    person, _ = file(now=china(3, 2))
    _answer(person, staff, Outcome.DISCLOSED, "published", china(3, 10))
    business, _ = file(now=china(3, 3), applicant_type=ApplicantType.BUSINESS)
    _answer(business, staff, Outcome.WITHHELD, "process", china(3, 20))
    legal, _ = file(now=china(4, 1), applicant_type=ApplicantType.LEGAL)
    _answer(legal, staff, Outcome.NOT_OURS, "other_office", china(4, 3), referred_to="县财政局")
    repeat, _ = file(now=china(5, 4))
    _answer(repeat, staff, Outcome.DUPLICATE, "repeat", china(5, 6))
    open_one, _ = file(now=china(12, 1))  # not answered: carried to next year
    made.update(person=person.id, business=business.id, legal=legal.id, repeat=repeat.id,
                open=open_one.id)
    file(now=china(6, 1), office_kind="government")  # another office: counted nowhere here
    held, _ = file(now=china(6, 2), suspicion="honeypot")  # held: not a request yet
    db.session.add_all([
        Appeal(office_region_code=SAMPLE["county"], office_kind=OfficeKind.RURAL, year=2026,
               kind=AppealKind.REVIEW, result=AppealResult.UPHELD),
        Appeal(office_region_code=SAMPLE["county"], office_kind=OfficeKind.RURAL, year=2026,
               kind=AppealKind.LAWSUIT, result=AppealResult.PENDING)])
    db.session.commit()
    return made


def test_the_cells_count_the_requests_behind_them(app, year_of_requests) -> None:
    ids = year_of_requests
    table = report.request_table(services.parse_office(OFFICE), 2026)
    expected = {
        ("new", "total"): {ids["person"], ids["business"], ids["legal"], ids["repeat"],
                           ids["open"]},
        ("new", "business"): {ids["business"]}, ("new", "legal"): {ids["legal"]},
        ("carried_in", "total"): {ids["carried"]},
        ("disclosed", "person"): {ids["person"]}, ("partial", "total"): {ids["carried"]},
        ("withheld_process", "business"): {ids["business"]},
        ("unavailable_not_held", "legal"): {ids["legal"]},
        ("not_handled_repeat", "total"): {ids["repeat"]},
        ("answered", "total"): {ids["carried"], ids["person"], ids["business"], ids["legal"],
                                ids["repeat"]},
        ("carried_out", "total"): {ids["open"]},
    }
    for (row, column), wanted in expected.items():
        assert set(table.ids(row, column)) == wanted, (row, column)
    assert table.count("withheld_secret", "total") == 0
    assert table.count("new", "person") + table.count("new", "business") \
        + table.count("new", "legal") == table.count("new", "total")
    last_year = report.request_table(services.parse_office(OFFICE), 2025)
    assert last_year.count("new", "total") == 2 and last_year.count("disclosed", "total") == 1
    assert set(last_year.ids("carried_out", "total")) == {ids["carried"]}


def test_the_page_links_every_number_and_the_csv_agrees(app, client, year_of_requests) -> None:
    ids = year_of_requests
    page = client.get(f"/requests/report/{OFFICE}/2026")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "年度报告" in text
    cell = f"/requests/report/{OFFICE}/2026/withheld_process/business"
    assert f'href="{cell}">1</a>' in text
    listed = client.get(cell).get_data(as_text=True)
    assert f"/requests/{ids['business']}\"" in listed and f"/requests/{ids['person']}\"" \
        not in listed
    rows = list(csv.reader(io.StringIO(client.get(
        f"/requests/report/{OFFICE}/2026/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    by_label = {r[1]: r for r in rows[1:]}
    assert by_label[report.ROW_LABELS["new"]][2:] == ["3", "1", "0", "0", "1", "0", "5"]
    assert by_label[report.ROW_LABELS["answered"]][-1] == "5"
    assert by_label["行政复议 · 结果维持"][2] == "1" and by_label["行政诉讼 · 总计"][2] == "1"
    for bad in (f"/requests/report/{OFFICE}/2026/nope/total", f"/requests/report/{OFFICE}/1990",
                "/requests/report/000000000000-rural/2026", f"/requests/report/{OFFICE}/3000"):
        assert client.get(bad).status_code == 404, bad


def test_the_compliance_page_counts_each_office(app, client, year_of_requests) -> None:
    region = db.session.get(Region, SAMPLE["county"])
    total, scores = timeliness.scoreboard(region, children_of(region.code), 2026,
                                          china(12, 5).date())
    rural = next(s for s in scores if s.office.key == OFFICE)
    assert rural.received == 5 and rural.answered == 4 and rural.on_time == 4
    assert rural.by_outcome == {Outcome.DISCLOSED: 1, Outcome.WITHHELD: 1,
                                Outcome.NOT_OURS: 1, Outcome.DUPLICATE: 1}
    assert total.received == 6
    page = client.get(f"/requests/compliance?region={SAMPLE['county']}&year=2026")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "资金主动公开及时率" in text
    assert "项目主动公开及时率" in text
    assert "投诉举报按时答复率" in text and f"/requests/report/{OFFICE}/2026" in text


def test_staff_pick_the_request_an_appeal_is_about(app, regions, users, client_for) -> None:
    info, _ = file(now=china(3, 2))
    _answer(info, users["county"], Outcome.WITHHELD, "process", china(3, 20))
    elsewhere, _ = file(now=china(3, 2), office_region_code=SAMPLE["other_county"])
    staff = client_for("staff-county")
    detail = staff.get(f"/admin/requests/{info.id}").get_data(as_text=True)
    assert f"/admin/requests/appeals?request={info.id}" in detail
    page = staff.get(f"/admin/requests/appeals?request={info.id}").get_data(as_text=True)
    assert f'<option selected value="{info.id}">' in page
    assert f'<option selected value="{OFFICE}">' in page and 'value="2026"' in page
    assert f'value="{elsewhere.id}"' not in page  # another county's request is not offered
    searched = staff.get("/admin/requests/appeals?q=不存在的标题").get_data(as_text=True)
    assert f'value="{info.id}"' not in searched
    data = {"request": str(info.id), "office": "", "year": "", "kind": "review",
            "result": "upheld"}
    assert staff.post("/admin/requests/appeals", data=data).status_code == 302
    appeal = db.session.execute(db.select(Appeal)).scalar_one()
    assert (appeal.request_id, appeal.office_kind, appeal.year) == (info.id,
                                                                    OfficeKind.RURAL, 2026)
    wrong = staff.post("/admin/requests/appeals", data={**data, "office": f"{SAMPLE['county']}"
                                                        "-finance"})
    assert wrong.status_code == 400 and "与所选机关不一致" in wrong.get_data(as_text=True)
    hidden = staff.post("/admin/requests/appeals", data={**data, "request": str(elsewhere.id)})
    assert hidden.status_code == 400 and "没有找到这个申请" in hidden.get_data(as_text=True)
    junk = staff.post("/admin/requests/appeals", data={**data, "request": "abc"})
    assert junk.status_code == 400 and "没有找到这个申请" in junk.get_data(as_text=True)
    none = staff.post("/admin/requests/appeals", data={**data, "request": ""})
    assert none.status_code == 400 and "请选择机关" in none.get_data(as_text=True)
    future = staff.post("/admin/requests/appeals", data={**data, "year": "2099"})
    assert future.status_code == 400 and "年度不能晚于" in future.get_data(as_text=True)
    bad_year = staff.post("/admin/requests/appeals", data={**data, "year": "一九"})
    assert bad_year.status_code == 400


def test_staff_enter_reviews_and_lawsuits_for_their_offices(app, client, regions, users,
                                                            client_for) -> None:
    staff = client_for("staff-county")
    data = {"office": OFFICE, "year": "2026", "kind": "review", "result": "corrected"}
    assert staff.post("/admin/requests/appeals", data=data).status_code == 302
    assert staff.post("/admin/requests/appeals", data={**data, "office": "junk"}
                      ).status_code == 400
    assert staff.post("/admin/requests/appeals", data={**data, "year": "1990"}).status_code == 400
    other = client_for("staff-other")
    assert other.post("/admin/requests/appeals", data=data).status_code == 403
    assert "结果纠正" in staff.get("/admin/requests/appeals").get_data(as_text=True)
    counts = report.appeal_counts(services.parse_office(OFFICE), 2026)
    assert counts[("review", "corrected")] == 1 and counts[("review", "total")] == 1
    page = client.get(f"/requests/report/{OFFICE}/2026").get_data(as_text=True)
    assert "行政复议·结果纠正" in page
