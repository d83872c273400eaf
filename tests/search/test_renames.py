"""A renamed region reaches the index through the search outbox, in the rename's transaction:
its page, the pages beneath it and the documents that name it are read again."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.regions import services as region_services
from sunshine.regions.models import Region
from sunshine.search import node
from sunshine.search.index import search
from sunshine.search.outbox import SUBTREE, OutboxRow
from sunshine.search.suggest import best_bets
from tests.conftest import SAMPLE, apply_search
from tests.funds.conftest import make_fund

pytestmark = pytest.mark.postgres

NEW_NAME = "瑞丰县"


def _rename(tmp_path: Path, code: str, name: str) -> None:
    path = tmp_path / "regions.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["code", "name"], [code, name]])
    report = region_services.import_regions(path, confirm=True)
    assert report.ok and report.updated == 1, report.errors


def test_a_renamed_county_is_found_by_its_new_name_once_the_outbox_is_applied(
        app, regions, tmp_path) -> None:
    county = SAMPLE["county"]
    old_name = db.session.get(Region, county).name
    fund = make_fund(name="2020年产业发展资金")
    with app.app_context():
        node.rebuild()
    where = app.config["SEARCH_INDEX_DIR"]
    assert [b.name for b in best_bets(where, old_name)] == [old_name]

    _rename(tmp_path, county, NEW_NAME)
    rows = db.session.execute(select(OutboxRow.doc_id, OutboxRow.action)
                              .where(OutboxRow.action == SUBTREE)).all()
    assert rows == [(f"region:{county}", SUBTREE)]  # committed with the rename
    assert best_bets(where, NEW_NAME) == []  # not applied yet

    applied = apply_search(app)
    assert applied.rows == 1 and applied.indexed > 1
    assert [(b.code, b.name) for b in best_bets(where, NEW_NAME)] == [(county, NEW_NAME)]
    assert [b.code for b in best_bets(where, "瑞丰")] == [county]  # short name
    assert [b.code for b in best_bets(where, "ruifeng")] == [county]  # pinyin
    assert best_bets(where, old_name) == []
    urls = {hit.url for hit in search(where, NEW_NAME, per_page=50).hits}
    assert fund.url in urls  # the allocation names its county
    village = f"/stats/{SAMPLE['village']}"
    assert village in urls  # a village's page names the county above it


def test_an_import_that_keeps_the_names_writes_no_outbox_row(app, regions, tmp_path) -> None:
    county = SAMPLE["county"]
    _rename(tmp_path, county, db.session.get(Region, county).name)
    assert db.session.scalar(select(OutboxRow.id).where(OutboxRow.action == SUBTREE)) is None
