"""Public statistics pages, CSV and JSON, and the home page's figures."""

from __future__ import annotations

import csv
import io
import re

from sunshine.extensions import db
from sunshine.stats import rollup, vocab
from sunshine.stats.layout import layout
from sunshine.stats.models import Rollup
from tests.conftest import COUNTY_PREFIX, SAMPLE


def test_every_level_has_a_page_with_breadcrumbs_and_figures(client, register) -> None:
    for code in [SAMPLE["province"], SAMPLE["city"], SAMPLE["county"], SAMPLE["town"],
                 SAMPLE["village"]]:
        page = client.get(f"/stats/{code}")
        assert page.status_code == 200, code
        html = page.get_data(as_text=True)
        assert 'aria-label="当前位置"' in html and "主要数字" in html and "历年变化" in html
        assert 'role="img"' in html and "<caption>" in html
        assert "演示数据" in html  # the register is synthetic
    assert client.get("/stats/").status_code == 200


def test_small_counts_show_as_less_than_ten(client, register) -> None:
    html = client.get(f"/stats/{SAMPLE['village']}").get_data(as_text=True)
    assert "&lt;10" in html
    assert "帮扶成效从乡镇一级起公布" in html  # no effect tables for a village


def test_children_link_down_and_sort_by_any_column(client, register) -> None:
    html = client.get(f"/stats/{SAMPLE['county']}").get_data(as_text=True)
    assert f'href="/stats/{SAMPLE["town"]}"' in html
    assert f'href="/stats/{COUNTY_PREFIX}102000"' in html
    first = client.get(f"/stats/{SAMPLE['province']}?sort=reg&order=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in first
    table = first[first.index('id="table-children"'):]
    counties_or_cities = SAMPLE["city"][:4] + r"\d{8}|" + SAMPLE["province"][:2] + r"\d{2}00000000"
    order = re.findall(f'href="/stats/({counties_or_cities})">',
                       table[:table.index("</table>")])
    assert order[0] == SAMPLE["city"]  # the first city holds every household of the test register
    ascending = client.get(f"/stats/{SAMPLE['province']}?sort=reg&order=asc").get_data(as_text=True)
    assert 'aria-sort="ascending"' in ascending
    assert client.get(f"/stats/{SAMPLE['province']}?sort=bogus").status_code == 200


def test_province_and_city_pages_have_a_county_map(client, register) -> None:
    province = client.get("/stats/").get_data(as_text=True)
    # A province's hundred counties are on a page of their own, linked from its page.
    assert 'id="chart-map"' not in province
    assert f'href="/stats/{SAMPLE["province"]}?part=counties"' in province
    counties = client.get(f"/stats/{SAMPLE['province']}?part=counties").get_data(as_text=True)
    assert 'id="chart-map"' in counties and "<circle" in counties and "table-counties" in counties
    city = client.get(f"/stats/{SAMPLE['city']}").get_data(as_text=True)
    assert 'id="chart-map"' in city
    county = client.get(f"/stats/{SAMPLE['county']}").get_data(as_text=True)
    assert 'id="chart-map"' not in county


def test_unknown_codes_are_404(client, register) -> None:
    for path in ["/stats/999999999999", "/stats/abc", "/stats/45010", "/api/v1/stats/999999999999",
                 "/stats/999999999999/export.csv"]:
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/stats/999999999999").get_json()["error"]
    assert client.get(f"/stats/{COUNTY_PREFIX}").status_code == 301


def test_csv_has_a_bom_every_table_and_no_formulas(client, register) -> None:
    response = client.get(f"/stats/{SAMPLE['county']}/export.csv")
    assert response.mimetype == "text/csv"
    body = response.data
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["区划代码", "区划名称", "表", "行", "列", "数值"]
    tables = {r[2] for r in rows[1:]}
    assert {"历年变化", "主要数字（2020年末）"} <= tables
    assert "<10" in {r[5] for r in rows[1:]}
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert client.get("/stats/export.csv").status_code == 200


def test_json_marks_hidden_figures_null_and_suppressed(client, register) -> None:
    data = client.get(f"/api/v1/stats/{SAMPLE['village']}").get_json()
    assert data["region"]["code"] == SAMPLE["village"] and data["min_cell"] == 10
    figures = [v for t in data["tables"] for r in t["rows"] for v in r["values"].values()
               if isinstance(v, dict)]
    hidden = [f for f in figures if f["suppressed"]]
    assert hidden and all(f["value"] is None for f in hidden)
    shown = [f for f in figures if not f["suppressed"]]
    assert all(f["value"] >= 10 for f in shown)
    assert "/api/v1/stats/{code}" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_projection_is_labelled_and_states_its_method(client, register) -> None:
    data = client.get(f"/api/v1/stats/{SAMPLE['province']}").get_json()
    if data["projection"] is not None:
        assert data["projection"]["label"] == "预测" and "外推" in data["projection"]["method"]
        html = client.get("/stats/").get_data(as_text=True)
        assert "预测" in html and "不是统计数" in html


def test_home_page_shows_the_province_headline(client, register) -> None:
    html = client.get("/").get_data(as_text=True)
    assert f"扶贫数据：{SAMPLE['province_name']}" in html and "建档立卡户数" in html


def test_pages_follow_a_new_build(app, client, register) -> None:
    before = client.get(f"/stats/{SAMPLE['village']}").get_data(as_text=True)
    assert before == client.get(f"/stats/{SAMPLE['village']}").get_data(as_text=True)  # cached
    row = db.session.get(Rollup, SAMPLE["village"])
    cells = rollup.unpack(row.cells)
    i = layout()("reg", vocab.LAST_YEAR)
    cells[i] = 987654
    row.cells, row.status = rollup.pack(cells), bytes(row.status[:i]) + b"\0" + bytes(
        row.status[i + 1:])
    db.session.commit()
    assert "987,654" not in client.get(f"/stats/{SAMPLE['village']}").get_data(as_text=True)
    rollup.rebuild_all()  # a new build: the cache is stale, the page reflects the register
    after = client.get(f"/stats/{SAMPLE['village']}").get_data(as_text=True)
    assert "987,654" not in after


def test_before_any_build_pages_still_navigate(client, regions) -> None:
    html = client.get("/stats/").get_data(as_text=True)
    assert SAMPLE["city_name"] in html and f"/stats/{SAMPLE['city']}" in html
