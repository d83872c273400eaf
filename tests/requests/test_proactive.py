"""The annual report's proactive table counts what the office itself published in the year,
across the features (articles by issuer, notices by region, fund allocations by issuer, their
lines and the county's projects), and each count's page lists exactly those records. Also run
on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from sunshine.clock import UTC, day_start, this_year, today
from sunshine.content.models import Article, Kind
from sunshine.content.models import Status as ArticleStatus
from sunshine.extensions import db
from sunshine.funds import services as funds
from sunshine.notices.models import Notice, NoticeKind
from sunshine.requests import proactive, services
from tests.conftest import SAMPLE
from tests.funds.conftest import make_fund, make_project

pytestmark = pytest.mark.postgres

COUNTY, TOWN, VILLAGE = SAMPLE["county"], SAMPLE["town"], SAMPLE["village"]


def _article(kind: Kind, region: str, issuer: str, day: date, slug: str) -> Article:
    article = Article(kind=kind, slug=slug, title=f"文章 {slug}", category="工作动态",
                      region_code=region, issuer=issuer, published_on=day,
                      status=ArticleStatus.PUBLISHED)
    db.session.add(article)
    return article


def _notice(region: str, title: str, at: datetime | None) -> Notice:
    start = today()
    notice = Notice(kind=NoticeKind.PROJECT, region_code=region, title=title, start_on=start,
                    end_on=start + timedelta(days=7), starts_at=day_start(start),
                    ends_at=day_start(start + timedelta(days=8)), published_at=at)
    db.session.add(notice)
    return notice


def test_each_office_counts_what_it_published_this_year(app, client, regions) -> None:
    year = this_year()
    now = datetime.now(UTC)
    news = _article(Kind.NEWS, COUNTY, "兴宁区乡村振兴局", date(year, 3, 1), "ours")
    _article(Kind.NEWS, COUNTY, "", date(year, 4, 1), "site")  # no issuer: the rural office
    finance_policy = _article(Kind.POLICY, COUNTY, "兴宁区财政局", date(year, 3, 2), "money")
    _article(Kind.NEWS, COUNTY, "兴宁区乡村振兴局", date(year - 1, 3, 1), "old")  # last year
    _article(Kind.NEWS, SAMPLE["other_county"], "乡村振兴局", date(year, 3, 1), "theirs")
    county_notice = _notice(COUNTY, "县级公示", now)
    village_notice = _notice(VILLAGE, "村级公示", now)
    _notice(COUNTY, "未发布的公示", None)
    db.session.commit()
    fund = make_fund(year=year, issued_on=today(), issuer="兴宁区财政局")
    rural_fund = make_fund(year=year, issued_on=today(), issuer="兴宁区乡村振兴局",
                           name="县乡村振兴局下达的资金")
    make_fund(publish=False, year=year, issued_on=today(), issuer="兴宁区财政局", name="草稿")
    project = make_project(year=year, approved_on=today())
    line = funds.add_line(None, fund, None, project.id, Decimal("300000.00"), "村道")
    rural = services.parse_office(f"{COUNTY}-rural")
    finance = services.parse_office(f"{COUNTY}-finance")
    town = services.parse_office(f"{TOWN}-government")
    assert rural and finance and town
    assert proactive.counts(rural, year) == {
        "policies": 0, "news": 2, "notices": 1, "funds": 1, "fund_lines": 1, "projects": 1}
    assert proactive.counts(finance, year) == {"policies": 1, "news": 0, "funds": 1}
    assert proactive.counts(town, year) == {"policies": 0, "news": 0, "notices": 1, "funds": 0}
    assert proactive.counts(rural, year - 1)["news"] == 1
    # A fund's lines to villages and projects are the rural office's, whoever issued it.
    assert proactive.records(finance, year, "fund_lines") is None
    assert [p.url for p in proactive.records(rural, year, "fund_lines") or []] == [
        f"/funds/{fund.id}"] and line is not None
    listed = {p.url for p in proactive.records(rural, year, "news") or []}
    assert listed == {f"/news/{news.slug}", "/news/site"}
    assert [p.url for p in proactive.records(finance, year, "policies") or []] == [
        f"/policies/{finance_policy.slug}"]
    assert [p.url for p in proactive.records(town, year, "notices") or []] == [
        f"/notices/{village_notice.id}"]
    assert [p.url for p in proactive.records(rural, year, "notices") or []] == [
        f"/notices/{county_notice.id}"]
    assert [p.url for p in proactive.records(rural, year, "funds") or []] == [
        f"/funds/{rural_fund.id}"]
    assert [p.url for p in proactive.records(rural, year, "projects") or []] == [
        f"/projects/{project.id}"]
    page = client.get(f"/requests/report/{COUNTY}-rural/{year}").get_data(as_text=True)
    cell = f"/requests/report/{COUNTY}-rural/{year}/proactive_news/total"
    assert f'href="{cell}">2</a>' in page
    listed_page = client.get(cell).get_data(as_text=True)
    assert f'href="/news/{news.slug}"' in listed_page and "/news/old" not in listed_page
    assert client.get(f"/requests/report/{COUNTY}-finance/{year}/proactive_projects/total"
                      ).status_code == 404
    assert client.get(f"/requests/report/{COUNTY}-rural/{year}/proactive_nope/total"
                      ).status_code == 404
