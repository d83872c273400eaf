"""Every public statistics table, site-wide: what the pages, CSV files and JSON answers of the
demo province publish, read back as a visitor reads them.

* No published count is under k (``STATS_MIN_CELL``), on any page, export or answer.
* A region's figure is shown alike on its page, its CSV and its JSON, and in its parent's
  table of children.
* No hidden small figure follows from a published total minus its published siblings: for
  every family (a region and its children, its own cases included for complaints), and every
  line of a complaint table (a row or column with its total).

The statistics rules come from ``app.url_map`` (public GET rules of the statistics and the
complaint statistics); a rule this sweep has no reader for fails it. How the figures are
decided is proved in tests/stats (test_disclosure*.py); this sweep checks that every public
table shows what was decided, and nothing else.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.stats.models import Household
from tests.public_routes import make_site, public_rules

K = 10
#: Public rules that publish statistics tables, and how this sweep reads each.
READERS = {
    "stats.index": "html", "stats.detail": "html", "stats.export_province": "csv",
    "stats.export": "csv", "stats_api.api_detail": "json",
    "complaints.stats_page": "html", "complaints.stats_csv": "csv",
    "complaints_api.api_stats": "json",
}
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})*\Z")
CELL = re.compile(r'<td(?: class="(?:num|withheld)")?>([^<]*)</td>')
HIDDEN = ("<", "×", "—")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_site(tmp_path_factory.mktemp("statistics"))
    yield app
    with app.app_context():
        db.engine.dispose()


def _regions(app: Flask) -> tuple[list[str], dict[str, list[str]]]:
    """The regions swept: every province, city and county, and all towns and villages of the
    first county with households (its families are then complete); their children."""
    with app.app_context():
        rows = db.session.execute(select(Region.code, Region.level, Region.parent_code)
                                  .order_by(Region.code)).all()
        village = db.session.scalar(select(func.min(Household.village_code)))
    assert village is not None
    county = village[:6] + "000000"
    chosen = [code for code, level, _ in rows
              if level <= 3 or (level >= 4 and code.startswith(county[:6]))]
    children: dict[str, list[str]] = defaultdict(list)
    for code, _, parent in rows:
        if parent is not None:
            children[parent].append(code)
    return chosen, children


def _count(text: str) -> int | None:
    text = text.strip()
    return int(text.replace(",", "")) if NUMBER.match(text) else None


def _published(app: Flask, url: str, reader: str) -> list[tuple[int, str]]:
    """Every published count of one answer, with where it stands."""
    response = app.test_client().get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    if response.status_code == 404:
        return []
    if reader == "html":
        return [(n, text) for text in CELL.findall(response.get_data(as_text=True))
                if (n := _count(text)) is not None]
    if reader == "csv":
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        return [(n, ",".join(row)) for row in rows[1:] if (n := _count(row[-1])) is not None]
    return [(item["value"], str(item)) for item in _json_counts(response.get_json())]


def _json_counts(data: Any) -> Iterator[dict[str, Any]]:
    """Every published count of a JSON answer: ``{"value": n, "suppressed": false}`` (and a
    complaint statistics item whose measure is a count)."""
    if isinstance(data, dict):
        if data.get("suppressed") is False and isinstance(data.get("value"), int) \
                and data.get("measure", "received") == "received":
            yield data
        for value in data.values():
            yield from _json_counts(value)
    elif isinstance(data, list):
        for value in data:
            yield from _json_counts(value)


def _urls(app: Flask, endpoint: str, codes: list[str]) -> list[str]:
    rule = next(r for r in public_rules(app) if r.endpoint == endpoint)
    if "code" in rule.arguments:
        return [rule.rule.replace("<code>", code) for code in codes]
    if endpoint.startswith("complaints"):
        suffix = "?per_page=500" if endpoint.endswith("api_stats") else ""
        joiner = "&" if suffix else "?"
        return [f"{rule.rule}{suffix}{joiner}region={code}" for code in codes]
    return [rule.rule]


def test_no_public_statistics_count_under_k(site: Flask) -> None:
    rules = {r.endpoint for r in public_rules(site) if "stats" in r.endpoint}
    assert not rules - set(READERS), f"rules this sweep cannot read: {rules - set(READERS)}"
    chosen, _ = _regions(site)
    problems: list[str] = []
    for endpoint, reader in sorted(READERS.items()):
        counts = []
        for url in _urls(site, endpoint, chosen):
            found = _published(site, url, reader)
            counts += [n for n, _ in found]
            problems += [f"{url}: {where}" for n, where in found if n < K]
        assert counts, f"{endpoint}: no published count read at all"
    assert not problems, f"{len(problems)} published counts under {K}:\n" + "\n".join(
        problems[:30])


# --- complaint statistics: one figure everywhere, and no total minus siblings ------------------


def _complaint_items(app: Flask, code: str) -> list[dict[str, Any]]:
    client = app.test_client()
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        data = client.get(f"/api/v1/complaints/stats?region={code}&per_page=500&page={page}"
                          ).get_json()
        items += data["items"]
        if page * 500 >= data["total"]:
            return items
        page += 1


def _csv_texts(app: Flask, code: str) -> list[str]:
    body = app.test_client().get(f"/complaints/stats/export.csv?region={code}")
    return [row[-1] for row in csv.reader(io.StringIO(body.get_data(as_text=True)
                                                      .lstrip("\ufeff")))][1:]


def test_complaint_figures_agree_everywhere_and_no_total_gives_a_small_one_away(
        site: Flask) -> None:
    chosen, children = _regions(site)
    # (region code, own row?, period, kind, category) -> (value, text), from every page.
    seen: dict[tuple[Any, ...], set[tuple[Any, str]]] = defaultdict(set)
    pages: dict[str, list[tuple[tuple[Any, ...], tuple[Any, str]]]] = {}
    for code in chosen:
        items = _complaint_items(site, code)
        texts = _csv_texts(site, code)
        assert len(texts) == len(items), code
        found = []
        for item, text in zip(items, texts, strict=True):
            if item["measure"] != "received":
                continue
            own = item["region"]["name"].endswith("本级")
            key = (item["region"]["code"], own, item["period"], item["kind"], item["category"])
            assert (item["value"] is None) == text.startswith(HIDDEN), (code, item, text)
            seen[key].add((item["value"], text))
            found.append((key, (item["value"], text)))
        pages[code] = found
    differing = {key: texts for key, texts in seen.items() if len(texts) > 1}
    assert not differing, list(differing.items())[:10]
    shown = {key: texts.pop() for key, texts in seen.items()}
    problems = []
    checked = 0
    for parent in chosen:
        kids = [kid for kid in children.get(parent, []) if kid in chosen]
        if not kids or len(kids) != len(children[parent]):
            continue
        year_keys = {key[2:] for key in shown if key[0] == parent and not key[1]
                     and len(key[2]) == 4 and key[4] is None}
        for _, kind, category in sorted(year_keys, key=str):
            rows = [(kid, False) for kid in kids] + [(parent, True)]
            cells = [shown.get((code, own, _, kind, category)) for code, own in rows]
            total = shown.get((parent, False, _, kind, category))
            if total is None or any(c is None for c in cells):
                continue
            checked += 1
            if total[0] is None:
                continue
            hidden = [c for c in cells if c is not None and c[0] is None]
            if len(hidden) == 1 and not hidden[0][1].startswith("×"):
                problems.append(f"{parent} {kind or '全部'}: the one hidden row follows from "
                                f"{total[1]} minus its siblings")
    assert checked > 50, checked
    assert not problems, "\n".join(problems[:20])


# --- household statistics: no total minus siblings ----------------------------------------------


def _stats_csv(app: Flask, code: str) -> dict[tuple[str, str, str], str]:
    """(table, row, column) -> text of a region's statistics CSV."""
    body = app.test_client().get(f"/stats/{code}/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]
    return {(table, row, column): text for _, _, table, row, column, text in rows}


def test_no_household_figure_is_a_published_total_minus_published_siblings(
        site: Flask) -> None:
    chosen, children = _regions(site)
    tables = {code: _stats_csv(site, code) for code in chosen}
    problems = []
    checked = 0
    for parent in chosen:
        kids = children.get(parent, [])
        if not kids or any(kid not in tables for kid in kids):
            continue
        for key, total in tables[parent].items():
            texts = [tables[kid].get(key) for kid in kids]
            if any(text is None for text in texts):
                continue
            values = [_count(text) for text in [total, *texts] if text is not None]
            hidden = [text for text in texts if text is not None and text.startswith(HIDDEN)]
            # Counts only: every figure a whole number or hidden (rates are neither).
            if any(v is None for v, text in zip(values, [total, *texts], strict=True)
                   if text is not None and not text.startswith(HIDDEN)):
                continue
            checked += 1
            if values[0] is not None and len(hidden) == 1 and not hidden[0].startswith("×"):
                problems.append(f"{parent} {key}: a hidden child is {total} minus its siblings")
    assert checked > 100, checked
    assert not problems, "\n".join(problems[:20])
