"""Keyset pages follow each other without gaps or repeats, in both directions; exports walk
every row in batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import bindparam, select

from sunshine.extensions import db
from sunshine.records import ledger
from sunshine.records.models import LedgerEntry
from sunshine.records.paging import (
    Keyset,
    KeysetPage,
    NumberedPage,
    PageNumbers,
    batches,
    keyset,
    row_batches,
)

START = datetime(2024, 1, 1, tzinfo=UTC)


def page(number: int, after: str | None = None, before: str | None = None) -> KeysetPage:
    return keyset(select(LedgerEntry), LedgerEntry.record_id, LedgerEntry.seq,
                  lambda e: f"{e.record_id}_{e.seq}",
                  lambda t: tuple(int(p) for p in t.split("_")), after, before, number,
                  per_page=2, total=5)


def test_next_and_previous_cursors_walk_every_row_once(app: Flask) -> None:
    for n in range(1, 6):
        ledger.append(ledger.Pending("sample", n, 1, "publish", {}), START + timedelta(days=n))
    db.session.commit()
    first = page(1)
    assert [e.record_id for e in first.items] == [5, 4] and first.prev_cursor is None
    second = page(2, after=first.next_cursor)
    assert [e.record_id for e in second.items] == [3, 2]
    third = page(3, after=second.next_cursor)
    assert [e.record_id for e in third.items] == [1] and third.next_cursor is None
    back = page(2, before=third.prev_cursor)
    assert [e.record_id for e in back.items] == [3, 2]
    assert page(3).items == third.items  # a typed-in ?page= without a cursor
    assert page(1, after="junk").items == first.items and first.pages == 3


def test_a_keyset_built_once_pages_with_its_filters_as_parameters(app: Flask) -> None:
    for n in range(1, 6):
        ledger.append(ledger.Pending("sample" if n != 3 else "other", n, 1, "publish", {}),
                      START + timedelta(days=n))
    db.session.commit()
    statements = Keyset(select(LedgerEntry.record_id, LedgerEntry.seq).where(
        LedgerEntry.record_type == bindparam("kind")), LedgerEntry.record_id, LedgerEntry.seq)

    def rows(number: int, after: str | None = None, before: str | None = None) -> KeysetPage:
        return keyset(statements, LedgerEntry.record_id, LedgerEntry.seq,
                      lambda r: f"{r[0]}_{r[1]}", lambda t: tuple(int(p) for p in t.split("_")),
                      after, before, number, per_page=2, total=4, row=lambda *r: r,
                      params={"kind": "sample"})

    first = rows(1)
    assert [r[0] for r in first.items] == [5, 4]
    second = rows(2, after=first.next_cursor)
    assert [r[0] for r in second.items] == [2, 1] and second.next_cursor is None
    assert rows(1, before=second.prev_cursor).items == first.items
    assert rows(2).items == second.items


def test_batches_walk_every_row_newest_first(app: Flask) -> None:
    for n in (3, 1, 2, 2):
        ledger.append(ledger.Pending("sample", n, 1, "publish", {}), START)
    db.session.commit()
    rows = batches(select(LedgerEntry), LedgerEntry.record_id, LedgerEntry.seq, size=2)
    assert [(e.record_id, e.seq) for e in rows] == [(3, 1), (2, 4), (2, 3), (1, 2)]


def test_row_batches_walk_every_row_as_plain_rows(app: Flask) -> None:
    for n in (3, 1, 2, 2, 5):
        ledger.append(ledger.Pending("sample", n, 1, "publish", {}), START)
    db.session.commit()
    rows = row_batches(select(LedgerEntry.record_id, LedgerEntry.seq), LedgerEntry.record_id,
                       LedgerEntry.seq, size=2)
    assert [tuple(r) for r in rows] == [(5, 5), (3, 1), (2, 4), (2, 3), (1, 2)]


def test_page_numbers_say_what_the_pagination_macro_reads() -> None:
    middle = NumberedPage(items=[], page=2, per_page=10, total=25)
    assert (middle.pages, middle.has_prev, middle.has_next) == (3, True, True)
    assert (middle.prev_num, middle.next_num) == (1, 3)
    last = NumberedPage(items=[], page=3, per_page=10, total=30)
    assert (last.pages, last.has_next) == (3, False)
    # An empty list has no pages as db.paginate counts them; a list that says "1 of 1" has one.
    assert NumberedPage(items=[], page=1, per_page=10, total=0).pages == 0

    @dataclass
    class AtLeastOne(PageNumbers):
        page: int
        per_page: int
        total: int

    empty = AtLeastOne(page=1, per_page=10, total=0)
    assert (empty.pages, empty.has_prev, empty.has_next) == (1, False, False)
