"""The column-at-a-time fast path of the import checks accepts exactly the rows the row-at-a-time
checks accept, and turns them into the same database rows: every mutation of a clean batch
either goes through both the same way or sends the batch to the row checks."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from sunshine.stats import fastcheck, rowcheck
from sunshine.stats.csvload import Batch
from sunshine.stats.synthetic import HOUSEHOLD_CSV_HEADER, MEMBER_CSV_HEADER
from tests.stats.conftest import CANARY_IDS, VILLAGES, make_register

KEY = b"test-key-for-id-hashes-0123456789"


def _batch(rows: list[list[str]]) -> Batch:
    texts = []
    for row in rows:
        out = io.StringIO()
        csv.writer(out).writerow(row)
        texts.append(out.getvalue())
    return Batch(list(range(2, len(rows) + 2)), texts)


def _both(check, batch: Batch, monkeypatch) -> tuple[rowcheck.Checked, rowcheck.Checked]:
    fast = check(batch)
    with monkeypatch.context() as m:
        m.setattr(fastcheck, "split_plain", lambda *_: None)
        slow = check(batch)
    return fast, slow


def _rows(checked: rowcheck.Checked) -> list[tuple[object, ...]]:
    """What goes into the database: household rows, or members' packed rows and ID rows."""
    packed = checked.packed
    if packed is None:
        return checked.table_rows()
    return packed.rows() + list(zip(packed.hashes, packed.owners, packed.lines,
                                    strict=True)) + [tuple(packed.first_lines)]


def _same(fast: rowcheck.Checked, slow: rowcheck.Checked) -> None:
    assert _rows(fast) == _rows(slow)
    assert [tuple(map(type, row)) for row in _rows(fast)] == \
        [tuple(map(type, row)) for row in _rows(slow)]
    assert (fast.lines, fast.errors, fast.records) == (slow.lines, slow.errors, slow.records)
    assert fast.villages == slow.villages and fast.households == slow.households


def _household_rows() -> list[list[str]]:
    return [h.csv_row() for h in make_register(60)]


def _member_rows() -> list[list[str]]:
    return [[f"{h.archive:016d}", *m] for h in make_register(30) for m in h.members]


MUTATIONS = ["", " ", "0", "01", "2013", "2021", "２０１５", "x", "X", "因病", "因病、", "邻居",
             "户主", "1" * 17 + "X", CANARY_IDS[0], CANARY_IDS[0].lower(),
             "产业扶持:2015", "产业扶持:2015、2014", "产业扶持:", "2014:2300", "2014:2300;",
             "\u202e", "a\x00b", "张" * 41, "<script>", '"', "1,2", "\n",
             "@１２３４", "@12a4", "@0001 ", "@"]  # "@": the field's first 12 characters, then


@pytest.mark.parametrize("kind", ["households", "members"])
def test_clean_batches_take_the_fast_path_and_give_the_same_rows(kind, monkeypatch) -> None:
    calls = []
    name = "households" if kind == "households" else "members_packed"
    real = getattr(fastcheck, name)
    monkeypatch.setattr(fastcheck, name, lambda *a: calls.append(1) or real(*a))
    header = HOUSEHOLD_CSV_HEADER if kind == "households" else MEMBER_CSV_HEADER
    rows = _household_rows() if kind == "households" else _member_rows()
    check = _start(kind, header)
    fast = check(_batch(rows))
    # the fast path was taken and said yes
    assert calls and (fast.columns or fast.packed and fast.packed.texts) and not fast.errors
    monkeypatch.setattr(fastcheck, name, lambda *a: None)
    _same(fast, check(_batch(rows)))


@pytest.mark.parametrize("kind", ["households", "members"])
def test_any_mutation_is_judged_as_the_row_checks_judge_it(kind, monkeypatch,
                                                           naughty_strings) -> None:
    header = HOUSEHOLD_CSV_HEADER if kind == "households" else MEMBER_CSV_HEADER
    clean = _household_rows() if kind == "households" else _member_rows()
    check = _start(kind, header)
    rng = random.Random(5)
    values = MUTATIONS + rng.sample(naughty_strings, 60)
    for column in range(len(header)):
        for value in values:
            rows = [list(r) for r in clean]
            row = rows[rng.randrange(len(rows))]
            row[column] = row[column][:12] + value[1:] if value[:1] == "@" else value
            _same(*_both(check, _batch(rows), monkeypatch))


def _start(kind: str, header: list[str]):
    index = {name: i for i, name in enumerate(header)}
    if kind == "households":
        rowcheck.start_households(Path("h.csv"), index, frozenset(VILLAGES))
        return rowcheck.check_households
    rowcheck.start_members(Path("m.csv"), index, KEY)
    return rowcheck.check_members


def test_members_of_a_household_apart_in_a_batch_are_joined_as_the_row_checks_join_them(
        monkeypatch) -> None:
    rows = _member_rows()
    rows = rows[0::2] + rows[1::2]  # most households' members now in two runs
    check = _start("members", MEMBER_CSV_HEADER)
    fast = check(_batch(rows))
    assert fast.packed is not None and max(fast.packed.counts) > 1
    assert len(fast.packed.households) == len(set(fast.packed.households))
    monkeypatch.setattr(fastcheck, "members_packed", lambda *a: None)
    _same(fast, check(_batch(rows)))


def test_a_plain_piece_splits_like_its_lines() -> None:
    """A piece of a file without quotes is split as one text (``Batch.plain``); its lines, when
    asked for, are the lines as the file has them (\\r\\n kept)."""
    lines = ["a,b,c\r\n", "d,e,f\r\n", "g,h,i\r\n"]
    plain = Batch(range(2, 5), plain="".join(lines))
    assert plain.texts == lines
    assert fastcheck.split_plain(plain, 3) == fastcheck.split_plain(Batch([2, 3, 4], lines), 3) \
        == [["a", "d", "g"], ["b", "e", "h"], ["c", "f", "i"]]
    assert fastcheck.split_plain(Batch(range(2, 4), plain="a,b\r\nc,d,e\r\n"), 2) is None
    assert fastcheck.split_plain(Batch(range(2, 4), plain="a,b\rc,d\n"), 2) is None
