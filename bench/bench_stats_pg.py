"""Statistics at province scale on PostgreSQL: the same 1.5 M households (~5.2 M members) as
bench_stats.py, on a throwaway PostgreSQL server (tests/pg_server.py: fsync off, as in CI).

What it measures (the statistics speed targets, the PostgreSQL half):

1. import rate through the households and members importers vs COPY of the same rows (psycopg's
   ``copy.write_row``, binary implementation) into a copy of the same database;
2. the whole province imported and rolled up: total seconds;
3. a full rollup rebuild vs the hierarchical SQL baseline;
4. database time of region pages (province to village), p50/p95.

Run by hand: ``.venv/bin/python bench/bench_stats_pg.py`` (after bench_stats.py has generated
the CSV files, or it generates them). ``--keep DIR`` keeps the server's folder (with the
imported register) in DIR; a later run with the same ``--keep`` starts on it and measures only
3 and 4, ``--pairs N`` times for 3. Needs the PostgreSQL server programs (``make``'s CI
installs them; `initdb` and `pg_ctl` are looked for as tests/pg_server.py does).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "site"))
sys.path.insert(0, str(ROOT / "bench"))

import bench_stats as common  # noqa: E402
import stats_data  # noqa: E402
from stats_data import log  # noqa: E402


def make_app(url: str, **extra: Any) -> Any:
    from sunshine import create_app

    return create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": common.SECRET,
                       "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                       "SEARCH_INDEX_DIR": "/tmp/sunshine-bench-stats-pg-index", **extra})


def copy_in(url: str, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> float:
    """Seconds for COPY of ``rows`` in one transaction: the PostgreSQL baseline."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        started = time.perf_counter()
        with connection.cursor() as cursor, \
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        connection.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_500_000)
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--data", type=Path, default=Path("/tmp/sunshine-bench-stats"))
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the server's folder here; when it already holds an imported "
                             "register, start on it and skip the COPY baseline and the imports")
    parser.add_argument("--pairs", type=int, default=1,
                        help="how many times to time the baseline and the rebuild, back to back")
    args = parser.parse_args()
    import logging

    from tests import pg_server

    logging.disable(logging.INFO)
    log(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, {date.today()}")
    started = time.perf_counter()
    h_path, m_path = stats_data.generate(args.data, args.households, args.seed)
    kept = args.keep is not None and (args.keep / "imported").exists()
    server = _start_kept(args.keep) if kept else pg_server.start()
    try:
        if kept:
            log(f"reusing the register in {args.keep}")
            _rebuild_and_pages(server.url("bench"), args)
            return
        url = server.create_database("bench")
        app = make_app(url)
        common.prepare_regions(app)
        with app.app_context():
            from sunshine.extensions import db

            db.engine.dispose()  # no session may stay on "bench" while it is copied
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={server.port} user={server.user} "
                             "dbname=postgres", autocommit=True) as admin:
            version = admin.execute("SHOW server_version").fetchone()
            admin.execute('CREATE DATABASE "raw" TEMPLATE "bench"')
        log(f"PostgreSQL {version[0] if version else '?'}")
        from sunshine.stats.importer import HOUSEHOLD_TABLE_COLUMNS, ID_COLUMNS, LIST_COLUMNS

        log("preparing the COPY baseline's rows ...")
        h_rows, list_rows, id_rows = stats_data.raw_rows(h_path, m_path, app)
        raw_url = server.url("raw")
        raw_h = copy_in(raw_url, "household", HOUSEHOLD_TABLE_COLUMNS, h_rows)
        raw_m = copy_in(raw_url, "household_members", LIST_COLUMNS, list_rows) + \
            copy_in(raw_url, "member_id", ID_COLUMNS, id_rows)
        n_h, n_m = len(h_rows), len(id_rows)
        del h_rows, list_rows, id_rows
        log(f"COPY: households {n_h / raw_h:,.0f} rows/s ({raw_h:.1f} s), "
            f"members {n_m / raw_m:,.0f} rows/s ({raw_m:.1f} s)")

        import_h, roll, t_members = common.timed_imports(app, h_path, m_path)
        log(f"import households: {n_h / import_h:,.0f} rows/s ({import_h:.1f} s, "
            f"{raw_h / import_h:.2f}× COPY), then rollup {roll:.1f} s; members: "
            f"{n_m / t_members:,.0f} rows/s ({t_members:.1f} s, {raw_m / t_members:.2f}× COPY)")
        log(f"province imported and rolled up: {import_h + roll + t_members:.1f} s")

        _rebuild_and_pages(url, args)
        if args.keep is not None:
            _keep(server, args.keep)
    finally:
        if args.keep is None:
            server.stop()
        else:
            _stop_kept(server)
    log(f"bench total {time.perf_counter() - started:.0f} s")


def _rebuild_and_pages(url: str, args: argparse.Namespace) -> None:
    """3. rebuild vs baseline (``--pairs`` times, back to back); 4. region pages."""
    from sunshine.extensions import db
    from sunshine.stats import rollup

    app = make_app(url)
    ratios = []
    for _ in range(args.pairs):
        baseline = common.hierarchical_baseline(app)
        with app.app_context():
            t0 = time.perf_counter()
            full = rollup.rebuild_all()
            t_full = time.perf_counter() - t0
            assert full.ok, full.detail
            db.session.remove()
        ratios.append(t_full / baseline)
        log(f"full rebuild {t_full:.1f} s vs hierarchical baseline {baseline:.1f} s "
            f"({t_full / baseline:.2f}×); phases: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in rollup.TIMINGS.items()))
    if len(ratios) > 1:
        log(f"rebuild / baseline, median of {len(ratios)}: {sorted(ratios)[len(ratios) // 2]:.2f}×")

    common.log_page_times(*common.page_db_times(make_app(url, PAGE_CACHE=False),
                                                random.Random(args.seed)))


def _keep(server: Any, folder: Path) -> None:
    """Move the server's folder to ``folder`` (stopped), marked as holding the register."""
    import shutil

    _stop_kept(server)
    if folder.exists():
        shutil.rmtree(folder)
    shutil.move(str(server.folder), str(folder))
    (folder / "imported").write_text(f"{server.user}\n")
    server.folder = folder


def _start_kept(folder: Path) -> Any:
    """A server on a kept folder (``--keep``), on a free port."""
    from tests import pg_server

    pg_ctl = pg_server.find_bin("pg_ctl")
    assert pg_ctl, "PostgreSQL server programs not found"
    user = (folder / "imported").read_text().strip()
    port = pg_server._free_port()
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder / 'sock'} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off")
    pg_server._as_owner([pg_ctl, "-D", str(folder / "data"), "-o", options,
                         "-l", str(folder / "log"), "-w", "-t", "60", "start"])
    return pg_server.PgServer(folder, port, user, pg_ctl)


def _stop_kept(server: Any) -> None:
    from tests import pg_server

    pg_server._as_owner([server.pg_ctl, "-D", str(server.folder / "data"), "-m", "fast",
                         "stop"], check=False)


if __name__ == "__main__":
    main()
