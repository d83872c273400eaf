"""The privacy canary: a register holding known names and ID numbers; every public page,
export, feed, API answer, sitemap and search result is fetched, and none may contain a canary
name, an ID number, a run of 8 of its digits, or a count under the threshold."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.search.index import rebuild
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX, SAMPLE
from tests.stats.conftest import CANARY_IDS, CANARY_NAMES
from tests.test_crawl import crawl

K = 10
NUMBER_CELL = re.compile(r'<td(?: class="\w+")?>(.*?)</td>|<span class="figure-value">(.*?)</span>',
                         re.S)


def _leaks(body: str) -> list[str]:
    found = [name for name in CANARY_NAMES if name in body]
    for number in CANARY_IDS:
        digits = number[:17]
        found += [number[i:i + 8] for i in range(len(digits) - 7) if number[i:i + 8] in body]
    return found


def _small_counts_in_html(body: str) -> list[str]:
    bad = []
    for match in NUMBER_CELL.finditer(body):
        text = re.sub(r"<[^>]+>", "", match.group(1) or match.group(2) or "").strip()
        if text.endswith("%") or text in ("—", "×", "") or text.startswith("&lt;") \
                or text.startswith("<"):
            continue
        value = int(text.replace(",", ""))
        if value < K:
            bad.append(text)
    return bad


def _small_counts_in_json(value: object) -> list[object]:
    bad: list[object] = []
    if isinstance(value, dict):
        if set(value) == {"value", "suppressed"}:
            if not value["suppressed"] and (value["value"] is None or value["value"] < K):
                bad.append(value)
            if value["suppressed"] and value["value"] is not None:
                bad.append(value)
        else:
            for v in value.values():
                bad += _small_counts_in_json(v)
    elif isinstance(value, list):
        for v in value:
            bad += _small_counts_in_json(v)
    return bad


def test_the_canary_never_comes_out(app, client, register) -> None:
    rebuild(app.config["SEARCH_INDEX_DIR"])
    codes = list(db.session.execute(select(Region.code).where(
        (Region.level <= 2)
        | Region.code.between(SAMPLE["county"], f"{OTHER_PREFIX}999999"))).scalars())
    bodies: dict[str, str] = {}
    for code in codes:
        for path in (f"/stats/{code}", f"/stats/{code}/export.csv", f"/api/v1/stats/{code}"):
            response = client.get(path)
            assert response.status_code == 200, path
            bodies[path] = response.get_data(as_text=True)
    for path in ["/", "/stats/", "/stats/export.csv", "/sitemap.xml", "/feeds/news.xml",
                 "/feeds/notices.xml", "/api/v1/", "/api/v1/openapi.json",
                 f"/api/v1/regions/{SAMPLE['village']}"]:
        bodies[path] = client.get(path).get_data(as_text=True)
    for term in CANARY_NAMES + CANARY_IDS + [CANARY_IDS[0][:8], "因病", SAMPLE["county_name"]]:
        path = f"/search?q={quote(term)}"
        # The search page repeats what was typed; only what it found counts.
        bodies[path] = client.get(path).get_data(as_text=True).replace(term, "").replace(
            quote(term), "")
    crawled = crawl(client, limit=150)
    for path, status in crawled.status.items():
        if status == 200 and path not in bodies:
            bodies[path] = client.get(path).get_data(as_text=True)

    leaks = {path: found for path, body in bodies.items() if (found := _leaks(body))}
    assert not leaks, leaks
    small: dict[str, list[object]] = {}
    for path, body in bodies.items():
        if path.startswith("/stats/") and not path.endswith(".csv"):
            if bad := _small_counts_in_html(body):
                small[path] = bad
        elif path.startswith("/api/v1/stats/"):
            import json

            if bad := _small_counts_in_json(json.loads(body)):
                small[path] = bad
        elif path.endswith("export.csv"):
            rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]
            bad = [r for r in rows if re.fullmatch(r"\d+", r[5]) and int(r[5]) < K]
            if bad:
                small[path] = bad
    assert not small, {p: v[:3] for p, v in small.items()}
    villages = f"/stats/{COUNTY_PREFIX}1012"
    assert any(path.startswith(villages) for path in bodies)  # villages included
