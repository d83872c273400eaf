"""The PostgreSQL paths of the rollup build and of region pages: the scan
read as one packed binary value and in two processes, the numpy sums, the binary write, and
the prepared, planned-once page query with its plans. Runs on SQLite too, where the parts
that exist there are held to the same results."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from sqlalchemy import select, text

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats import bulk, rollup, scan, services
from sunshine.stats.models import Rollup
from sunshine.stats.scanrows import SCAN_SQL
from sunshine.stats.tree import load_tree, sum_up
from sunshine.stats.vectors import village_range
from tests.conftest import SAMPLE

pytestmark = pytest.mark.postgres

PROVINCE = SAMPLE["province"]
PAGES = [SAMPLE["province"], SAMPLE["city"], SAMPLE["county"], SAMPLE["town"], SAMPLE["village"]]


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _plain(vectors: dict[str, Any]) -> dict[str, list[int]]:
    return {code: list(vector) for code, vector in vectors.items()}


@pytest.mark.postgres_only
def test_fetch_int64_gives_the_rows_a_cursor_gives(app, register) -> None:
    lo, hi = village_range(PROVINCE)
    packed = bulk.fetch_int64(bulk._driver_connection(), SCAN_SQL, (lo, hi), 2)
    assert packed.shape == (len(register), 2)
    assert sorted(map(tuple, packed.tolist())) == sorted(bulk.stream(SCAN_SQL, (lo, hi)))
    empty = bulk.fetch_int64(bulk._driver_connection(), SCAN_SQL, (1, 2), 2)
    assert empty.shape == (0, 2)


@pytest.mark.postgres_only
def test_the_scan_in_two_processes_equals_one(app, register, monkeypatch) -> None:
    """On PostgreSQL a large register is split at a village boundary (from the key's
    statistics, or counted when there are none) and read in two processes; the vectors are
    those of one pass, and the build built from them passes its check."""
    lo, hi = village_range(PROVINCE)
    one, committed = scan.scan_committed(lo, hi)
    assert not committed and len(one) == len({h.village for h in register})
    monkeypatch.setattr(scan, "PARALLEL_FROM", 10)
    middle = scan._pg_middle(lo, hi)  # not analysed yet: counted
    assert middle is not None and lo < middle <= hi and middle % 10_000 == 0
    two, committed = scan.scan_committed(lo, hi)
    assert committed and _plain(two) == _plain(one)
    db.session.execute(text("ANALYZE household"))
    db.session.commit()
    middle = scan._pg_middle(lo, hi)  # from the histogram
    assert middle is not None and lo < middle <= hi and middle % 10_000 == 0
    assert _plain(scan.scan_committed(lo, hi)[0]) == _plain(one)
    build = rollup.rebuild_all()
    assert build.ok, build.detail


def test_the_numpy_sums_equal_sum_up(app, register) -> None:
    tree = load_tree()
    lo, hi = village_range(tree.root)
    villages = scan.scan(lo, hi)
    for code, lvl in tree.level.items():
        if lvl == 5 and code not in villages:
            villages[code] = rollup.unpack(bytes(4 * len(next(iter(villages.values())))))
    a, b = dict(villages), dict(villages)
    sum_up(tree, a)
    rollup._sum_all(tree, b)
    assert a.keys() == b.keys() and _plain(a) == _plain(b)
    # A town without villages sums to zeros; its county still adds up.
    bare = copy.deepcopy(tree)
    town = next(c for c, lvl in bare.level.items() if lvl == 4 and bare.children.get(c))
    for kid in bare.children[town]:
        villages.pop(kid, None)
    bare.children[town] = []
    a, b = dict(villages), dict(villages)
    sum_up(bare, a)
    rollup._sum_all(bare, b)
    assert _plain(a) == _plain(b) and not any(b[town])


def test_rollups_are_written_and_read_back_unchanged(app, register) -> None:
    """The rollups written by binary COPY (LZ4 where the server has it) read back as the
    vectors the build computed, on every page level."""
    tree = load_tree()
    stored = {code: (rollup.unpack(cells), bytes(status)) for code, cells, status in
              db.session.execute(select(Rollup.region_code, Rollup.cells, Rollup.status))}
    assert len(stored) == len(tree.level)
    names = {code: name for code, name in db.session.execute(select(Region.code, Region.name))}
    for code in PAGES:
        page = services.region_page(code)
        nodes = [page.node, *page.children, *page.counties,
                 *[a for a in page.ancestors if isinstance(a, services.Node)]]
        assert [a.code for a in page.ancestors] == codes.ancestors_of(code)
        assert page.children and all(c.level == page.node.level + 1 for c in page.children) \
            or page.node.level == 5
        for node in nodes:
            assert list(node.vector) == list(stored[node.code][0]), node.code
            assert node.status == stored[node.code][1] and node.name == names[node.code]
    if _postgres():
        lz4 = db.session.execute(text(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)")).first()
        methods = set(db.session.execute(text(
            "SELECT DISTINCT pg_column_compression(cells) FROM stats_rollup")).scalars())
        assert methods <= ({"lz4", None} if lz4 else {"pglz", None})


def _explain(statement: Any, generic: bool) -> str:
    """The plan of a compiled page query on PostgreSQL: for the page's own values, or the
    generic plan that a prepared statement keeps (PREPARE with $n parameters, then
    plan_cache_mode = force_generic_plan), with sequential scans priced out."""
    compiled = statement.compile(db.engine, compile_kwargs={"render_postcompile": True})
    sql, params = str(compiled), compiled.params
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return f"${len(names)}"

    positional = re.sub(r"%\((\w+)\)s", number, sql)
    from psycopg import sql as pgsql

    raw = bulk._driver_connection()
    with raw.cursor() as cursor:
        # The test tables are small enough for a sequential scan to be the planner's fair
        # choice; with scans priced out, a plan still holding one would have no index to use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not generic:
            return "\n".join(r[0] for r in cursor.execute(
                "EXPLAIN " + sql, params).fetchall())
        # The simple query protocol: with the extended one the server would take the $n of
        # the statement being prepared for parameters of PREPARE itself.
        result = raw.pgconn.exec_(f"PREPARE sunshine_plan_test AS {positional}".encode())
        assert result.status == 1, result.error_message  # COMMAND_OK
        try:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            values = pgsql.SQL(", ").join(pgsql.Literal(params[n]) for n in names).as_string(raw)
            return "\n".join(r[0] for r in cursor.execute(
                f"EXPLAIN EXECUTE sunshine_plan_test({values})").fetchall())
        finally:
            cursor.execute("DEALLOCATE sunshine_plan_test")


@pytest.mark.postgres_only
def test_page_queries_on_postgres_are_index_lookups_in_every_plan(app, register) -> None:
    """The page query's plans, for the page's values and the generic one the prepared
    statement keeps, can read the rollups through an index and regions and populations by
    primary key: never the register, never a whole table."""
    for code in PAGES:
        statement = services.rollup_query(code, codes.level_of(code))
        assert "LIKE" not in str(statement)
        for generic in (False, True):
            plan = _explain(statement, generic)
            assert "household" not in plan, plan
            assert "Seq Scan" not in plan, (code, generic, plan)
            assert re.search(r"Index (Only )?Scan.* on stats_rollup|Bitmap Index Scan on "
                             r"(pk|ix)_stats_rollup", plan), plan
            assert "Index Scan using pk_region on region" in plan, plan


@pytest.mark.postgres_only
def test_page_queries_on_postgres_are_prepared_and_planned_once(app, register) -> None:
    """After a few pages of one level the connection runs the page query from a generic plan
    (no planning per page), in binary, and the pages still show the stored figures."""
    villages = [c for c in load_tree().level if codes.level_of(c) == 5][:8]
    pages = [services.region_page(code) for code in villages * 2]
    assert {p.node.code for p in pages} == set(villages)
    db.session.remove()  # pages read on a connection of their own: the only one idle now
    rows = services.read(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE '%stats_rollup%' ORDER BY generic_plans DESC LIMIT 1"))
    row = rows[0] if rows else None
    assert row is not None and row[0] >= 1, row


@pytest.mark.postgres_only
def test_a_full_build_vacuums_the_rows_it_replaced(app, register) -> None:
    """A full build replaces every rollup row; the old versions are vacuumed away at once, so
    that the table does not grow by its own size build after build."""
    sizes = []
    for _ in range(4):
        assert rollup.rebuild_all().ok
        sizes.append(db.session.execute(text("SELECT pg_relation_size('stats_rollup')")).scalar())
    assert all(later <= sizes[0] for later in sizes[1:]), sizes
