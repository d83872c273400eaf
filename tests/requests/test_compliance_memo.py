"""The compliance page's figures (each office's requests, the disclosure timeliness of funds
and projects) and an office's annual report are computed once and remembered: with the page
cache off, a new request, fund or project shows at once, as a fresh computation gives it. Also
run on PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.requests import report
from tests.conftest import SAMPLE
from tests.funds.conftest import make_fund, make_project
from tests.requests.conftest import china, file

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"PAGE_CACHE": False}


def _rates(client: FlaskClient, region: str = "") -> list[tuple[str, str, str]]:
    """(label, on time, due) of funds and projects, as the page shows them."""
    text = client.get(f"/requests/compliance?region={region}").get_data(as_text=True)
    return re.findall(r"(资金|项目)主动公开及时率</a>：[^（]*（(\d+) / (\d+)）", text)


def _fresh(app: Flask, client: FlaskClient, region: str = "") -> list[tuple[str, str, str]]:
    app.extensions.pop("page_memo", None)
    return _rates(client, region)


def test_a_new_fund_or_project_shows_at_once(app, client, regions) -> None:
    assert _rates(client) == [("资金", "0", "0"), ("项目", "0", "0")]
    make_fund(publish=False)  # issued in 2020 and still a draft: overdue, so due and late
    assert _rates(client) == [("资金", "0", "1"), ("项目", "0", "0")] == _fresh(app, client)
    assert _rates(client, SAMPLE["county"]) == [("资金", "0", "1"), ("项目", "0", "0")]
    make_project(publish=False)
    assert _rates(client) == [("资金", "0", "1"), ("项目", "0", "1")] == _fresh(app, client)
    assert _rates(client, SAMPLE["county"]) == _fresh(app, client, SAMPLE["county"])
    assert _rates(client, SAMPLE["other_county"]) == [("资金", "0", "0"), ("项目", "0", "0")]


def _received(client: FlaskClient, region: str = "") -> list[str]:
    """The requests received by the region's offices, and by each office shown."""
    text = client.get(f"/requests/compliance?region={region}&year=2026").get_data(as_text=True)
    return re.findall(r"本地区各级机关 (\d+) 件申请", text) + re.findall(
        r'</a></th>\s*<td class="num">(\d+)</td>', text)


def test_a_new_request_shows_at_once(app, client, regions) -> None:
    assert _received(client) == ["0"] and _received(client, SAMPLE["county"]) == ["0"]
    file(now=china(3, 2))
    assert _received(client) == ["1"]
    assert _received(client, SAMPLE["county"]) == ["1", "1"]  # the county's 乡村振兴局
    file(now=china(3, 3))
    assert _received(client) == ["2"] == _fresh_received(app, client)
    assert _received(client, SAMPLE["county"]) == ["2", "2"]


def _fresh_received(app: Flask, client: FlaskClient) -> list[str]:
    app.extensions.pop("page_memo", None)
    return _received(client)


def _report(client: FlaskClient) -> list[list[str]]:
    office = f"{SAMPLE['county']}-rural"
    answer = client.get(f"/requests/report/{office}/2026/export.csv")
    assert answer.status_code == 200
    assert client.get(f"/requests/report/{office}/2026").status_code == 200
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_annual_report_follows_each_request_and_publication(app, client, regions) -> None:
    new = report.ROW_LABELS["new"]
    assert next(r for r in _report(client) if r[1] == new)[-1] == "0"
    file(now=china(3, 2))
    assert next(r for r in _report(client) if r[1] == new)[-1] == "1"
    file(now=china(3, 3))
    assert next(r for r in _report(client) if r[1] == new)[-1] == "2"
    make_fund(region_code=SAMPLE["county"])
    after = _report(client)
    app.extensions.pop("page_memo", None)
    assert after == _report(client)


def test_a_report_cell_lists_each_new_request(app, client, regions) -> None:
    """The requests behind a cell of the annual report are remembered per worker until a
    request of the office's region changes."""
    cell = f"/requests/report/{SAMPLE['county']}-rural/2026/new/total"
    before = client.get(cell).get_data(as_text=True)
    info, _ = file(now=china(3, 2))
    after = client.get(cell).get_data(as_text=True)
    assert f'href="/requests/{info.id}"' not in before and f'href="/requests/{info.id}"' in after


def test_the_archives_csv_follows_each_request(app, client, regions) -> None:
    """The archive's CSV is remembered per worker until a request changes, per filters."""
    county = f"/requests/export.csv?region={SAMPLE['county']}"
    assert "第一件申请" not in client.get("/requests/export.csv").text
    file(now=china(3, 2), subject="第一件申请")
    for url in ("/requests/export.csv", county):
        assert client.get(url).text.count("第一件申请") == 1, url
    assert client.get("/requests/export.csv?status=answered").text.count("第一件申请") == 0
