"""The handling statistics are computed for the whole province once and remembered: every
page, CSV and JSON answer after a change shows what a fresh computation gives, with the page
cache off, and the on-time rate follows a deadline that passes without any write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.complaints import handling, services, stats
from sunshine.complaints.models import Kind, Rating
from sunshine.regions import services as regions_service
from tests.complaints.conftest import file_case
from tests.conftest import OTHER_PREFIX, SAMPLE

pytestmark = pytest.mark.postgres

K = 10
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"PAGE_CACHE": False}


def _items(client: FlaskClient, region: str = "") -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/complaints/stats?per_page=500&region={region}")
    assert answer.status_code == 200
    return answer.get_json()["items"]  # type: ignore[no-any-return]


def _fresh(app: Flask, client: FlaskClient, region: str = "") -> list[dict[str, Any]]:
    """The items as computed from scratch (nothing remembered)."""
    app.extensions.pop("page_memo", None)
    return _items(client, region)


def _received(items: list[dict[str, Any]]) -> int | None:
    year = [i for i in items if i["measure"] == "received" and i["kind"] is None
            and i["category"] is None and len(i["period"]) == 4
            and i["region"]["code"] == SAMPLE["province"]]
    return year[0]["value"] if year else None


def test_every_change_shows_at_once_with_the_page_cache_off(app, client, regions,
                                                            users, monkeypatch) -> None:
    for _ in range(30):
        file_case()
        file_case(region=f"{OTHER_PREFIX}101201")
    computed = []
    monkeypatch.setattr(stats, "count_year",
                        lambda *args: computed.append(args) or services_count(*args))
    first = _items(client)
    assert _received(first) == 60 and len(computed) == 1
    county = _items(client, SAMPLE["county"])
    assert _items(client) == first and len(computed) == 1  # remembered for every region
    assert county == _items(client, SAMPLE["county"])

    case, _ = file_case()  # a new case anywhere: the province's decisions are made again
    after = _items(client)
    assert _received(after) == 61 and len(computed) == 2
    assert after == _fresh(app, client)
    remembered = _items(client, SAMPLE["county"])
    assert remembered == _fresh(app, client, SAMPLE["county"])

    handling.accept(case, users["county"])  # a step of a case: its rates may change
    handling.reply(case, users["county"], "已答复")
    services.rate(case, Rating.SATISFIED)
    rated = _items(client, SAMPLE["county"])
    assert rated == _fresh(app, client, SAMPLE["county"])
    assert "按时答复率" in client.get(f"/complaints/stats?region={SAMPLE['county']}").get_data(
        as_text=True)
    csv_text = client.get("/complaints/stats/export.csv").data.decode("utf-8-sig")
    assert ",61\r\n" in csv_text or ",61\n" in csv_text


def services_count(*args: Any) -> Any:
    from sunshine.complaints.counts import count_year

    return count_year(*args)


def test_a_deadline_that_passes_changes_the_on_time_rate_without_a_write(app, regions, users,
                                                                         monkeypatch) -> None:
    year = datetime.now(UTC).year - 1
    filed = datetime(year, 12, 1, 2, 0, tzinfo=UTC)
    waiting = []
    for n in range(24):
        case, _ = file_case(now=filed, kind=Kind.REPORT)
        if n < 12:
            handling.accept(case, users["county"], now=filed + timedelta(days=1))
            handling.reply(case, users["county"], "已答复", now=filed + timedelta(days=2))
        else:
            waiting.append(case.deadline)
    due = max(waiting) + timedelta(hours=1)
    assert due.month == 12  # the same month: only the deadline tells the two answers apart
    county = regions_service.get_region(SAMPLE["county"])

    def on_time(now: datetime) -> float | None:
        monkeypatch.setattr(stats, "utcnow", lambda: now)
        report = stats.report_for(county, year, K)
        return report.by_month_kind.total_metrics["on_time_rate"].value

    assert on_time(filed + timedelta(days=3)) == 100.0  # only the answered ones are due
    assert on_time(filed + timedelta(days=4)) == 100.0  # remembered
    assert on_time(due) == 50.0  # every deadline passed: the unanswered twelve count late

    def reply_rate(now: datetime) -> float | None:  # as the compliance page shows it
        monkeypatch.setattr(stats, "utcnow", lambda: now)
        return stats.remembered_reply_rate(county, year, K).value

    app.extensions.pop("page_memo", None)
    assert reply_rate(filed + timedelta(days=3)) == 100.0
    assert reply_rate(filed + timedelta(days=4)) == 100.0  # remembered
    assert reply_rate(due) == 50.0 == stats.reply_rate(county, year, K, due).value


def test_the_years_follow_the_cases(app, client, regions) -> None:
    this_year = datetime.now(UTC).year
    assert f'value="{this_year - 2}"' not in client.get("/complaints/stats").get_data(True)
    file_case(now=datetime(this_year - 2, 6, 1, tzinfo=UTC))
    assert f'value="{this_year - 2}"' in client.get("/complaints/stats").get_data(True)


def test_the_sitemap_follows_a_published_answer_with_the_page_cache_off(app, client, regions,
                                                                        users) -> None:
    case, _ = file_case(consent_to_publish=True)
    handling.accept(case, users["county"])
    handling.reply(case, users["county"], "资金已于本月发放。")
    listed = f"/complaints/answers/{case.id}</loc>"
    assert listed not in client.get("/sitemap.xml").get_data(True)
    handling.publish_answer(case, users["county"], "产业补助什么时候发", "补助一直没有发。",
                            "资金已于本月发放。")
    sitemap = client.get("/sitemap.xml").get_data(True)
    assert listed in sitemap and sitemap.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<loc>http://localhost/complaints/stats</loc>" in sitemap
    urls = ElementTree.fromstring(sitemap.encode()).findall(f"{NS}url/{NS}loc")
    assert f"http://localhost/complaints/answers/{case.id}" in [url.text for url in urls]
    handling.unpublish_answer(case, users["county"])
    assert listed not in client.get("/sitemap.xml").get_data(True)


def test_the_published_answers_follow_a_publication_with_the_page_cache_off(
        app, client, regions, users) -> None:
    """The list's page of cases and an answer's page are remembered per worker: an answer
    published or taken back shows in the lists and on its page at the next request."""
    case, _ = file_case(consent_to_publish=True)
    handling.accept(case, users["county"])
    handling.reply(case, users["county"], "资金已于本月发放。")
    county = f"/complaints/answers/?region={SAMPLE['county']}"
    for url in ("/complaints/answers/", county):
        assert "还没有公开" in client.get(url).get_data(True)
    assert client.get(f"/complaints/answers/{case.id}").status_code == 404
    handling.publish_answer(case, users["county"], "产业补助什么时候发", "补助一直没有发。",
                            "资金已于本月发放。")
    for url in ("/complaints/answers/", county, f"/complaints/answers/{case.id}"):
        assert "产业补助什么时候发" in client.get(url).get_data(True)
    handling.unpublish_answer(case, users["county"])
    for url in ("/complaints/answers/", county):
        assert "产业补助什么时候发" not in client.get(url).get_data(True)
    assert client.get(f"/complaints/answers/{case.id}").status_code == 404


def test_the_statistics_csv_follows_each_case_with_the_page_cache_off(app, client,
                                                                      regions) -> None:
    """The CSV is remembered as long as the report it is written from: a new case shows at
    the next request, as a fresh computation writes it."""
    for _ in range(30):
        file_case()
        file_case(region=f"{OTHER_PREFIX}101201")
    county = f"/complaints/stats/export.csv?region={SAMPLE['county']}"
    before = {url: client.get(url).data for url in ("/complaints/stats/export.csv", county)}
    assert before == {url: client.get(url).data for url in before}
    file_case()
    after = {url: client.get(url).data for url in before}
    assert after["/complaints/stats/export.csv"] != before["/complaints/stats/export.csv"]
    app.extensions.pop("page_memo", None)
    assert after == {url: client.get(url).data for url in before}
