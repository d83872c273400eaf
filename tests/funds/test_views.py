"""Public pages, CSV and JSON of 资金公开, and the query plans of the list requests."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

from sqlalchemy import event

from sunshine.extensions import db
from sunshine.funds import services as funds
from sunshine.records import export, ledger
from sunshine.regions.models import Region
from tests.conftest import SAMPLE, apply_search
from tests.funds.conftest import (
    COUNTY,
    OTHER_COUNTY,
    VILLAGE,
    Setup,
    fund_fields,
    make_fund,
    make_project,
)


def _name(code: str) -> str:
    region = db.session.get(Region, code)
    assert region is not None
    return region.name


def test_funds_page_shows_totals_by_year_level_type_and_region(client, funded: Setup) -> None:
    page = client.get("/funds/").get_data(as_text=True)
    assert f"资金公开：{_name(SAMPLE['province'])}" in page and "100.00 万元" in page
    assert "按年度" in page and "2020年" in page and "按资金来源" in page
    assert '<svg class="chart"' in page and _name(SAMPLE["city"]) in page
    assert funded.fund.name in page and f'href="/funds/{funded.fund.id}"' in page
    county = client.get(f"/funds/?region={COUNTY}").get_data(as_text=True)
    assert _name(COUNTY) in county and "公开及时率" in county
    empty = client.get("/funds/?year=2001").get_data(as_text=True)
    assert "没有符合条件的资金" in empty
    for junk in ("?region=abc", "?region=999999999999", "?year=x&level=<b>&type=1",
                 "?after=zzz&page=-1", "?before=2020-01-01_x", "?after=" + "9" * 500):
        assert client.get("/funds/" + junk).status_code == 200, junk


def test_keyset_pages_follow_each_other_without_gaps(client, regions) -> None:
    made = [make_fund(document_number=f"桂财农〔2020〕{n}号", issued_on=date(2020, 1, 1 + n))
            for n in range(25)]
    first = client.get("/funds/").get_data(as_text=True)
    after = re.search(r'href="([^"]*after=[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(after).get_data(as_text=True)
    ids = lambda body: set(map(int, re.findall(r'href="/funds/(\d+)"', body)))  # noqa: E731
    assert len(ids(first)) == 20 and len(ids(second)) == 5
    assert ids(first) | ids(second) == {f.id for f in made}
    assert "第 2 / 2 页" in second
    before = re.search(r'href="([^"]*before=[^"]*)"', second).group(1).replace("&amp;", "&")
    assert ids(client.get(before).get_data(as_text=True)) == ids(first)
    assert ids(client.get("/funds/?page=2").get_data(as_text=True)) == ids(second)


def test_fund_page_follows_the_money_to_projects_and_households(client, funded: Setup) -> None:
    funds.record_spending(None, funded.fund, funds.SpendingFields(
        amount=Decimal("1000.00"), paid_on=date(2020, 6, 1), payee="示范建设工程有限公司",
        project_id=funded.project.id))
    page = client.get(f"/funds/{funded.fund.id}").get_data(as_text=True)
    assert "桂财农〔2020〕12号" in page and funded.project.name in page
    assert f'href="/projects/{funded.project.id}"' in page and "<strong>40</strong> 户" in page
    assert "示范建设工程有限公司" in page and "公开记录与修改历史" in page
    project = client.get(f"/projects/{funded.project.id}").get_data(as_text=True)
    assert f'href="/funds/{funded.fund.id}"' in project  # and back again


def test_a_correction_shows_its_history_and_differences(client, funded: Setup) -> None:
    funds.correct_fund(None, funded.fund, fund_fields(amount=Decimal("1200000.00")),
                       "文件金额录入错误")
    page = client.get(f"/funds/{funded.fund.id}").get_data(as_text=True)
    assert "第 2 版 · 更正" in page and "文件金额录入错误" in page
    assert "<del>1000000.00</del> → <ins>1200000.00</ins>" in page
    data = client.get(f"/api/v1/funds/{funded.fund.id}").get_json()
    assert data["version"] == 2 and data["amount"] == "1200000.00"
    assert data["history"][1]["changes"] == [{"field": "amount", "from": "1000000.00",
                                              "to": "1200000.00"}]


def test_drafts_are_not_public_and_withdrawn_ones_are_marked(client, regions) -> None:
    draft = make_fund(publish=False)
    assert client.get(f"/funds/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/funds/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/funds/{draft.id}").get_json() == {
        "error": "您要找的页面不存在或已被撤下。"}
    assert draft.name not in client.get("/funds/").get_data(as_text=True)
    funds.publish_fund(None, draft)
    funds.withdraw_fund(None, draft, "文件作废")
    page = client.get(f"/funds/{draft.id}").get_data(as_text=True)
    assert "已撤回" in page and "文件作废" in page
    assert client.get("/api/v1/funds").get_json()["total"] == 0


def test_api_lists_with_strings_for_money_and_iso_dates(client, funded: Setup) -> None:
    data = client.get(f"/api/v1/funds?region={COUNTY}&per_page=1").get_json()
    assert set(data) == {"items", "page", "per_page", "total"}
    assert data["total"] == 1 and data["per_page"] == 1 and data["page"] == 1
    item = data["items"][0]
    assert item["amount"] == "1000000.00" and item["lined"] == "300000.00"
    assert item["issued_on"] == "2020-03-02" and item["region"]["code"] == COUNTY
    detail = client.get(f"/api/v1/funds/{funded.fund.id}").get_json()
    assert detail["lines"][0]["project_id"] == funded.project.id
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/funds", "/api/v1/funds/{id}", "/api/v1/projects",
                 "/api/v1/projects/{id}"):
        assert path in spec["paths"], path
    assert client.get("/api/v1/funds/999999").status_code == 404


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_is_streamed_with_bom_filters_and_no_formulas(client, regions) -> None:
    make_fund(name="=HYPERLINK(\"http://evil\")", purpose="+1+1", issuer="@SUM(A1)",
              document_number="-2+3")
    make_fund(name="其他县资金", region_code=OTHER_COUNTY, document_number="桂财农〔2020〕99号")
    response = client.get(f"/funds/export.csv?region={COUNTY}")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][0] == "编号" and len(rows) == 2  # the other county is filtered out
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["资金名称"].startswith("'=") and row["资金用途"] == "'+1+1"
    assert row["下达单位"] == "'@SUM(A1)" and row["文号"] == "'-2+3"
    assert row["下达金额（元）"] == "1000000.00"
    assert len(read_csv(client.get("/funds/export.csv"))) == 3
    assert len(read_csv(client.get("/funds/export.csv?year=2001"))) == 1


def test_exports_are_remembered_and_follow_each_write_with_the_page_cache_off(
        app, client, funded: Setup) -> None:
    app.config["PAGE_CACHE"] = False
    try:
        first = client.get(f"/funds/export.csv?region={COUNTY}")
        again = client.get(f"/funds/export.csv?region={COUNTY}")
        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
        assert len(export.export_store(app).exports) == 1  # written once, remembered
        assert again.headers["Content-Disposition"] == first.headers["Content-Disposition"]
        assert again.headers["Cache-Control"] == "no-cache" and again.mimetype == "text/csv"
        assert [r[2] for r in read_csv(again)[1:]] == [funded.fund.name]
        spending = f"/funds/export.csv?detail=spending&fund={funded.fund.id}"
        assert len(read_csv(client.get(spending))) == 1
        # A new allocation in the county, and a payment: both in the next export.
        make_fund(name="新下达的资金", document_number="桂财农〔2020〕13号",
                  issued_on=date(2020, 5, 1))
        names = [r[2] for r in read_csv(client.get(f"/funds/export.csv?region={COUNTY}"))[1:]]
        assert names == ["新下达的资金", funded.fund.name]
        funds.record_spending(None, funded.fund, funds.SpendingFields(
            amount=Decimal("10.00"), paid_on=date(2020, 6, 1), payee="示范单位", purpose="材料"))
        assert [r[4] for r in read_csv(client.get(spending))[1:]] == ["10.00"]
        row = read_csv(client.get(f"/funds/export.csv?region={COUNTY}"))[2]
        assert row[2] == funded.fund.name and row[11] == "10.00"  # 已支出
        # The same file at another address links to that address.
        elsewhere = client.get("/funds/export.csv", base_url="https://gk.example.cn")
        assert read_csv(elsewhere)[1][-1].startswith("https://gk.example.cn/funds/")
    finally:
        app.config["PAGE_CACHE"] = True


def test_a_remembered_export_follows_a_renamed_region(app, client, funded: Setup,
                                                     tmp_path) -> None:
    """So do the timeliness page's counties."""
    from sunshine.regions import services as region_services

    app.config["PAGE_CACHE"] = False
    try:
        assert read_csv(client.get("/funds/export.csv"))[1][8] == _name(COUNTY)
        assert "瑞丰县" not in client.get("/funds/timeliness").get_data(as_text=True)
        path = tmp_path / "regions.csv"
        path.write_text(f"code,name\n{COUNTY},瑞丰县\n", encoding="utf-8")
        assert region_services.import_regions(path, confirm=True).updated == 1
        assert read_csv(client.get("/funds/export.csv"))[1][8] == "瑞丰县"
        assert "瑞丰县" in client.get("/funds/timeliness").get_data(as_text=True)
    finally:
        app.config["PAGE_CACHE"] = True


def test_an_export_too_large_to_remember_streams_each_time(app, client, funded: Setup,
                                                           monkeypatch) -> None:
    app.config["PAGE_CACHE"] = False
    monkeypatch.setattr(export, "MAX_KEPT", 100)
    try:
        client.get("/funds/export.csv").get_data()
        again = client.get("/funds/export.csv")
        assert "ETag" not in again.headers and len(read_csv(again)) == 2
        assert not export.export_store(app).exports
    finally:
        app.config["PAGE_CACHE"] = True


def test_spending_csv_and_the_ledger_json_can_be_checked(client, funded: Setup) -> None:
    funds.record_spending(None, funded.fund, funds.SpendingFields(
        amount=Decimal("10.00"), paid_on=date(2020, 6, 1), payee="=1+1示范单位", purpose="\t-1"))
    rows = read_csv(client.get(f"/funds/export.csv?detail=spending&fund={funded.fund.id}"))
    assert len(rows) == 2 and rows[1][5] == "'=1+1示范单位" and rows[1][4] == "10.00"
    chain = client.get("/funds/ledger.json").get_json()
    import hashlib

    prev = "0" * 64
    for entry in chain["entries"]:
        assert entry["prev_hash"] == prev
        prev = hashlib.sha256((prev + entry["payload"]).encode("utf-8")).hexdigest()
        assert prev == entry["hash"]
    assert chain["head"] == {"seq": 4, "hash": prev} == {"seq": ledger.head()[0],
                                                          "hash": ledger.head()[1]}
    assert chain["next"] is None and chain["after"] == 0 and len(chain["entries"]) == 4
    page = client.get("/funds/ledger").get_data(as_text=True)
    assert prev in page and "hashlib.sha256" in page


def test_the_payments_are_counted_only_when_more_than_shown(funded: Setup) -> None:
    from sunshine.funds import queries

    for day in (1, 2, 3):
        funds.record_spending(None, funded.fund, funds.SpendingFields(
            amount=Decimal("1.00"), paid_on=date(2020, 6, day), payee="示范单位"))
    shown = queries.spending_of(funded.fund, limit=2)
    assert [s.paid_on.day for s in shown] == [3, 2]
    assert queries.spending_count(funded.fund, shown, limit=2) == 3  # counted
    assert queries.spending_count(funded.fund, queries.spending_of(funded.fund)) == 3


def test_the_ledger_json_comes_in_pages_that_link_to_the_next(client, funded: Setup) -> None:
    whole = client.get("/funds/ledger.json").get_json()["entries"]
    url: str | None = "/funds/ledger.json?per_page=2"
    pages = []
    while url:
        pages.append(client.get(url).get_json())
        url = pages[-1]["next"]
    assert [len(p["entries"]) for p in pages] == [2, 1]
    assert pages[0]["next"] == "http://localhost/funds/ledger.json?after=2&per_page=2"
    assert [e for p in pages for e in p["entries"]] == whole
    # From a kept head: only what came after it; past the head or junk, no error.
    assert client.get("/funds/ledger.json?after=2").get_json()["entries"] == whole[2:]
    assert client.get("/funds/ledger.json?after=99").get_json()["entries"] == []
    assert client.get("/funds/ledger.json?after=x&per_page=-1").get_json()["entries"] == whole


def test_timeliness_follows_each_write_with_the_page_cache_off(app, client,
                                                                funded: Setup) -> None:
    app.config["PAGE_CACHE"] = False
    try:
        page = client.get("/funds/timeliness").get_data(as_text=True)
        row = page[page.index(_name(COUNTY)):].split("</tr>")[0]
        assert re.findall(r'<td class="num">([^<]*)</td>', row)[:4] == ["1", "0", "0.0%", "0"]
        make_fund(publish=False, document_number="逾期草稿")  # issued in 2020: overdue
        page = client.get("/funds/timeliness").get_data(as_text=True)
        row = page[page.index(_name(COUNTY)):].split("</tr>")[0]
        assert re.findall(r'<td class="num">([^<]*)</td>', row)[:4] == ["2", "0", "0.0%", "1"]
    finally:
        app.config["PAGE_CACHE"] = True


def test_timeliness_page_and_sitemap(client, funded: Setup) -> None:
    page = client.get("/funds/timeliness").get_data(as_text=True)
    # Issued in 2020, published only now: late, so 0 of 1 on time.
    assert _name(COUNTY) in page and '<td class="num">0.0%</td>' in page
    assert client.get(f"/funds/timeliness?region={VILLAGE}").status_code == 200
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/funds/{funded.fund.id}</loc>" in sitemap and "/funds/ledger" in sitemap
    assert f"/projects/{funded.project.id}</loc>" in sitemap


def test_search_finds_published_funds_and_projects(app, client, funded: Setup) -> None:
    apply_search(app)
    page = client.get("/search?q=桂财农").get_data(as_text=True)
    assert funded.fund.name in page
    page = client.get("/search?q=村道硬化&type=project").get_data(as_text=True)
    assert funded.project.name in page


# --- query plans -------------------------------------------------------------------------------

LIST_PATHS = [
    "/funds/", f"/funds/?region={SAMPLE['city']}", f"/funds/?region={COUNTY}",
    f"/funds/?region={VILLAGE}", "/funds/?year=2020&level=中央",
    f"/funds/?region={COUNTY}&type=财政专项扶贫资金", "/funds/?after=2020-03-02_5",
    "/projects/", f"/projects/?region={COUNTY}", f"/projects/?region={SAMPLE['city']}",
    "/projects/?category=基础设施&stage=审批", "/projects/?year=2020&after=2020_3",
    "/api/v1/funds", f"/api/v1/funds?region={COUNTY}&page=2", "/api/v1/projects",
    f"/api/v1/projects?region={COUNTY}", "/funds/export.csv",
    f"/funds/export.csv?region={COUNTY}", f"/funds/export.csv?detail=spending&region={COUNTY}",
    "/funds/export.csv?detail=spending", "/funds/export.csv?detail=spending&fund=1",
    "/projects/export.csv", f"/projects/export.csv?region={COUNTY}",
]
BIG_TABLES = ("fund", "fund_spending", "project", "fund_line")


def test_list_requests_never_scan_the_fund_spending_or_project_tables(app, client,
                                                                     funded: Setup) -> None:
    """Every SELECT that the list, API and export requests run is planned as an index
    SEARCH of the fund, line, spending and project tables, never a SCAN."""
    scans: list[str] = []
    for path in LIST_PATHS:
        scans += _scans(client, path)
    assert not scans, "\n".join(scans)


def _scans(client, path: str) -> list[str]:
    statements: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        response = client.get(path)
        response.get_data()
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200, path
    scans = []
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters):
                detail = row[-1]
                if re.match(rf"SCAN ({'|'.join(BIG_TABLES)})\b", detail):
                    scans.append(f"{path}: {detail}  ←  {statement[:160]}")
    return scans


def test_cached_pages_show_every_change_at_once(client, app, funded: Setup) -> None:
    from sunshine.records import ledger as chain

    first = client.get("/funds/").get_data(as_text=True)
    assert client.get("/funds/").get_data(as_text=True) == first  # served from the cache
    version = chain.changes()
    later = make_fund(name="刚公开的第二批资金", document_number="桂财农〔2020〕77号")
    assert chain.changes() > version
    assert later.name in client.get("/funds/").get_data(as_text=True)
    make_fund(publish=False, document_number="草稿")  # a draft moves the counter too
    assert chain.changes() > version + 2
    logged_out_page = client.get(f"/projects/?region={COUNTY}").get_data(as_text=True)
    assert funded.project.name in logged_out_page and "登录" in logged_out_page


def test_list_figures_follow_every_write_with_the_page_cache_off(client, app, funded) -> None:
    app.config["PAGE_CACHE"] = False
    county = f"?region={COUNTY}"
    assert "100.00 万元" in client.get("/funds/" + county).get_data(as_text=True)
    assert "<dd>1 个</dd>" in client.get("/projects/" + county).get_data(as_text=True)
    assert client.get("/api/v1/funds" + county).get_json()["total"] == 1
    assert client.get("/api/v1/projects" + county).get_json()["total"] == 1
    make_fund(document_number="桂财农〔2020〕78号", amount=Decimal("500000.00"))
    make_project(name="第二个示范项目")
    funds_api = client.get("/api/v1/funds" + county).get_json()
    assert funds_api["total"] == 2
    assert funds_api["items"][0]["document_number"] == "桂财农〔2020〕78号"
    projects_api = client.get("/api/v1/projects" + county).get_json()
    assert projects_api["total"] == 2 and "第二个示范项目" in [
        p["name"] for p in projects_api["items"]]
    page = client.get("/funds/" + county).get_data(as_text=True)
    assert "150.00 万元" in page and "桂财农〔2020〕78号" in page
    page = client.get("/projects/" + county).get_data(as_text=True)
    assert "<dd>2 个</dd>" in page and "第二个示范项目" in page


def test_fund_page_follows_money_and_corrections_with_the_page_cache_off(
        client, app, funded: Setup) -> None:
    """The page's data (and the ledger's) is remembered per worker: a payment, a correction
    of the allocation and a change of its project's stage show at the next request."""
    from sunshine.projects import services as projects

    app.config["PAGE_CACHE"] = False
    url = f"/funds/{funded.fund.id}"
    assert "示范建设工程有限公司" not in client.get(url).get_data(as_text=True)
    head = client.get("/funds/ledger.json").get_json()["head"]["seq"]
    assert f"<dd>{head}</dd>" in client.get("/funds/ledger").get_data(as_text=True)
    funds.record_spending(None, funded.fund, funds.SpendingFields(
        amount=Decimal("1000.00"), paid_on=date(2020, 6, 1), payee="示范建设工程有限公司",
        project_id=funded.project.id))
    assert "示范建设工程有限公司" in client.get(url).get_data(as_text=True)
    assert client.get("/funds/ledger.json").get_json()["head"]["seq"] == head + 1
    assert f"<dd>{head + 1}</dd>" in client.get("/funds/ledger").get_data(as_text=True)
    api = f"/api/v1/funds/{funded.fund.id}"
    assert client.get(api).get_json()["spending"][0]["payee"] == "示范建设工程有限公司"
    funds.correct_fund(None, funded.fund, fund_fields(amount=Decimal("1200000.00")),
                       "文件金额录入错误")
    page = client.get(url).get_data(as_text=True)
    assert "第 2 版 · 更正" in page and "120.00 万元" not in page and "1,200,000.00 元" in page
    assert client.get(api).get_json()["amount"] == "1200000.00"
    projects.add_update(None, funded.project, date(2020, 7, 1), "批复了", "审批")
    assert "<td>审批</td>" in client.get(url).get_data(as_text=True)
