"""The statistics request paths never read the register: SQLite's query plans of every
statement they run show no scan (nor search) of the household tables, and a region page
reads everything with one indexed query on the rollups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text

from sunshine.extensions import db
from tests.conftest import SAMPLE

PATHS = ["/", "/stats/", f"/stats/{SAMPLE['city']}", f"/stats/{SAMPLE['county']}",
         f"/stats/{SAMPLE['town']}",
         f"/stats/{SAMPLE['village']}?sort=poor&order=asc", f"/stats/{SAMPLE['county']}/export.csv",
         f"/api/v1/stats/{SAMPLE['village']}", f"/api/v1/stats/{SAMPLE['province']}"]


@contextmanager
def statements() -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not executemany:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_no_stats_path_touches_the_register(app, client, register) -> None:
    app.config["PAGE_CACHE"] = False  # every request renders and queries
    for path in PATHS:
        app.extensions.pop("page_memo", None)  # nor remembered figures: they are computed
        with statements() as seen:
            assert client.get(path).status_code == 200, path
        rollup_queries = [s for s, _ in seen if "stats_rollup" in s]
        if path.startswith(("/stats/", "/api/v1/stats/")):
            assert len(rollup_queries) == 1, (path, rollup_queries)
        if path.startswith("/stats/4"):  # a region page: one round trip in all
            assert len(seen) == 1, (path, [s for s, _ in seen])
        with db.engine.connect() as connection:
            for statement, parameters in seen:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                plan = " | ".join(row[-1] for row in connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters or ()))
                assert "household" not in plan, (path, statement, plan)
                if "stats_rollup" in statement:
                    assert "SCAN stats_rollup" not in plan, (path, plan)
                    assert "USING INDEX" in plan or "PRIMARY KEY" in plan, plan


def test_the_rollup_query_is_an_index_range(app, register) -> None:
    from sunshine.stats.services import rollup_query

    compiled = rollup_query(SAMPLE["county"], 3).compile(db.engine,
                                                      compile_kwargs={"literal_binds": True})
    with db.engine.connect() as connection:
        plan = " | ".join(row[-1] for row in connection.execute(
            text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "SEARCH stats_rollup USING INDEX ix_stats_rollup_level_code" in plan, plan
    assert "LIKE" not in str(compiled)
