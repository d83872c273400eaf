"""Statistics at province scale: 1.5 M synthetic households (~5.4 M members) across Guangxi's
16,610 real villages, on SQLite. Every ratio is taken against a baseline measured in the same
run (absolute figures drift ±40 % on this shared machine; PERFORMANCE.md).

What it measures (the statistics speed targets):

1. import rate through the households and members importers (what ``sunshine import`` runs)
   vs raw ``sqlite3.executemany`` of the same rows into a copy of the same database, each
   import right after its baseline, the ratio taken within each pair (median of the pairs);
2. the whole province imported and rolled up: total seconds;
3. a full rollup rebuild vs a hierarchical baseline (villages from the register with one
   GROUP BY, every higher level summed from the level below in SQL);
4. database time of region pages (province to village), p50/p95;
5. ``/stats/<county>`` under gunicorn (2 sync workers, loopback, wrk at 20 connections) vs
   Flask's static-file route serving a file of the same size, with and without the render
   cache (``stats_http.py``).

Run by hand: ``.venv/bin/python bench/bench_stats.py [--households N]``. The generated CSV files
are kept in --data (default /tmp/sunshine-bench-stats) and reused by later runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from stats_data import DIVISIONS, generate, log, raw_insert, raw_rows

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"


# --- the app ----------------------------------------------------------------------------------


def make_app(database: Path, **extra: Any) -> Any:
    from sunshine import create_app

    return create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": SECRET,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                       "SEARCH_INDEX_DIR": str(database.parent / "index"),
                       "RATELIMIT_ENABLED": False, **extra})


def prepare_regions(app: Any) -> None:
    from sunshine.extensions import db
    from sunshine.regions import services

    with app.app_context():
        db.create_all()
        services.load_builtin_province()
        db.session.commit()
        for name in ("guangxi_towns.csv", "guangxi_villages.csv"):
            report = services.import_regions(DIVISIONS / name, True)
            assert report.ok, report.errors[:3]
        db.session.remove()


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy (the WAL included), with SQLite's online backup."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


# --- 3. hierarchical baseline ---------------------------------------------------------------------


def hierarchical_baseline(app: Any) -> float:
    """Villages from the register in one GROUP BY (households, people, in poverty, by year),
    then each level summed from the one below: what a plain SQL rollup costs."""
    from sunshine.extensions import db
    from sunshine.stats import vocab

    poor_in = ("(removed = 0 OR removed > {y}) AND entered <= {y} AND NOT "
               "((reexited > 0 AND reexited <= {y}) OR "
               "(exited > 0 AND exited <= {y} AND NOT (returned > 0 AND returned <= {y})))")
    reg_in = "(removed = 0 OR removed > {y}) AND entered <= {y}"
    columns = []
    for y in vocab.YEARS:
        columns += [f"SUM(CASE WHEN {reg_in.format(y=y)} THEN 1 ELSE 0 END)",
                    f"SUM(CASE WHEN {reg_in.format(y=y)} THEN size ELSE 0 END)",
                    f"SUM(CASE WHEN {poor_in.format(y=y)} THEN 1 ELSE 0 END)",
                    f"SUM(CASE WHEN {poor_in.format(y=y)} THEN size ELSE 0 END)"]
    names = [f"c{i}" for i in range(len(columns))]
    with app.app_context():
        connection = db.engine.raw_connection()
        cursor = connection.cursor()
        cursor.execute("DROP TABLE IF EXISTS bench_rollup")
        cursor.execute(f"CREATE TABLE bench_rollup (code TEXT PRIMARY KEY, level INT, "
                       f"{', '.join(n + ' INT' for n in names)})")
        connection.commit()
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO bench_rollup SELECT village_code, 5, {', '.join(columns)} "
                       "FROM household GROUP BY village_code")
        for level, digits in ((4, 9), (3, 6), (2, 4), (1, 2)):
            cursor.execute(
                f"INSERT INTO bench_rollup SELECT substr(code, 1, {digits}) || "
                f"substr('000000000000', 1, {12 - digits}), {level}, "
                f"{', '.join(f'SUM({n})' for n in names)} FROM bench_rollup "
                f"WHERE level = {level + 1} GROUP BY 1")
        connection.commit()
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_rollup")
        connection.commit()
        connection.close()
    return seconds


def timed_imports(app: Any, h_path: Path, m_path: Path) -> tuple[float, float, float]:
    """Seconds of ``sunshine import households`` (without the rollup that follows it), of
    that rollup, and of ``sunshine import members``."""
    from sunshine.extensions import db
    from sunshine.stats import importer, rollup

    with app.app_context():
        t0 = time.perf_counter()
        report = importer.import_households(h_path, True)
        t_households = time.perf_counter() - t0
        assert report.ok, report.errors[:3]
        build = rollup.latest_build()
        roll = build.seconds if build else 0.0
        t0 = time.perf_counter()
        members = importer.import_members(m_path, True)
        t_members = time.perf_counter() - t0
        assert members.ok, members.errors[:3]
        db.session.remove()
    return t_households - roll, roll, t_members


def imports_in_fresh_process(database: Path, h_path: Path, m_path: Path
                             ) -> tuple[float, float, float]:
    """``timed_imports`` in a new process, as ``sunshine import`` runs (this one holds the
    baseline's rows, which makes every fork of the import's workers slower)."""
    import json

    code = ("import json, sys, logging; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
            "logging.disable(logging.INFO); import bench_stats as b; "
            "from pathlib import Path; app = b.make_app(Path(sys.argv[3])); "
            "print(json.dumps(b.timed_imports(app, Path(sys.argv[4]), Path(sys.argv[5]))))")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "bench"), str(ROOT / "site"),
                          str(database), str(h_path), str(m_path)],
                         check=True, capture_output=True, text=True).stdout
    households, roll, members = json.loads(out.strip().splitlines()[-1])
    return float(households), float(roll), float(members)


def rebuild_in_fresh_process(database: Path) -> tuple[float, dict[str, float]]:
    """Seconds of ``rollup.rebuild_all()`` (and its phases) in a new process, as ``sunshine
    stats rebuild`` runs it: this one holds gigabytes of baseline rows, which makes every fork
    of the rebuild's worker processes slower than it is for a real command."""
    import json

    code = ("import json, sys, time; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
            "import bench_stats as b; from pathlib import Path\n"
            "app = b.make_app(Path(sys.argv[3]))\n"
            "from sunshine.stats import rollup\n"
            "with app.app_context():\n"
            "    t = time.perf_counter(); build = rollup.rebuild_all()\n"
            "    t = time.perf_counter() - t\n"
            "    assert build.ok, build.detail\n"
            "    print(json.dumps([t, rollup.TIMINGS]))")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "bench"), str(ROOT / "site"),
                          str(database)], check=True, capture_output=True, text=True).stdout
    seconds, phases = json.loads(out.strip().splitlines()[-1])
    return float(seconds), phases


# --- 4. region pages' database time ---------------------------------------------------------------


@contextmanager
def db_timer(engine: Any) -> Any:
    from sqlalchemy import event

    spent = [0.0]
    starts: list[float] = []

    def before(*_: Any) -> None:
        starts.append(time.perf_counter())

    def after(*_: Any) -> None:
        spent[0] += time.perf_counter() - starts.pop()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield spent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def page_db_times(app: Any, rng: random.Random) -> tuple[dict[int, list[float]],
                                                         dict[int, list[float]]]:
    """Database milliseconds of region pages (all their queries), by level: a first pass
    over the sample, right after the import and rebuilds (the server's caches then hold the
    register, not the rollups), and a second pass over the same pages, as a site in use
    serves them. ``app`` has the render cache off, so that every page runs its queries."""
    from sqlalchemy import select

    from sunshine.extensions import db
    from sunshine.regions.models import Region

    passes: list[dict[int, list[float]]] = [{}, {}]
    with app.app_context():
        codes = {lvl: list(db.session.execute(select(Region.code).where(Region.level == lvl))
                           .scalars()) for lvl in range(1, 6)}
        sample = codes[1] + codes[2] + codes[3] + rng.sample(codes[4], 300) + \
            rng.sample(codes[5], 600)
        client = app.test_client()
        client.get(f"/stats/{sample[0]}")  # warm up
        for by_level in passes:
            for code in sample:
                with db_timer(db.engine) as spent:
                    response = client.get(f"/stats/{code}")
                assert response.status_code == 200, code
                by_level.setdefault(_level(code), []).append(spent[0] * 1000)
        db.session.remove()
    return passes[0], passes[1]


def log_page_times(first: dict[int, list[float]], second: dict[int, list[float]]) -> None:
    for level in sorted(second):
        log(f"region pages, level {level}: DB p50 {percentile(second[level], 50):.2f} ms, "
            f"p95 {percentile(second[level], 95):.2f} ms ({len(second[level])} pages; "
            f"first pass p50 {percentile(first[level], 50):.2f}, "
            f"p95 {percentile(first[level], 95):.2f} ms)")
    for name, times in (("first pass", first), ("second pass", second)):
        log(f"region pages, all, {name}: DB p95 "
            f"{percentile([t for values in times.values() for t in values], 95):.2f} ms")


def _level(code: str) -> int:
    from sunshine.regions.codes import level_of

    return level_of(code)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_500_000)
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--data", type=Path, default=Path("/tmp/sunshine-bench-stats"))
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of the raw inserts, of the imports and of rebuild + baseline")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "site"))
    import logging

    logging.disable(logging.INFO)
    log(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, {date.today()}")
    started = time.perf_counter()
    h_path, m_path = generate(args.data, args.households, args.seed)
    log(f"data: {h_path.name}, {m_path.name} ready ({time.perf_counter() - started:.0f} s)")

    work = Path(tempfile.mkdtemp(prefix="sunshine-bench-stats-"))
    database, raw_database = work / "bench.sqlite", work / "raw.sqlite"
    app = make_app(database)
    prepare_regions(app)

    from sunshine.stats.importer import HOUSEHOLD_TABLE_COLUMNS, ID_COLUMNS, LIST_COLUMNS

    log("preparing the raw baseline's rows ...")
    h_rows, list_rows, id_rows = raw_rows(h_path, m_path, app)
    n_h, n_m = len(h_rows), len(id_rows)
    from sunshine.extensions import db

    with app.app_context():
        db.engine.dispose()  # no pooled connection may outlive the file it was opened on
    regions_only = work / "regions.sqlite"
    copy_database(database, regions_only)
    # Each import right after its raw baseline: the machine's speed drifts by a third within
    # half an hour, so each ratio is taken within one pair, and the medians are reported.
    raws, imports = [], []
    for _ in range(args.repeat):
        raw_database.unlink(missing_ok=True)
        copy_database(regions_only, raw_database)
        os.sync()  # no phase pays for writing back what the one before it wrote
        raws.append((raw_insert(raw_database, ("household", HOUSEHOLD_TABLE_COLUMNS, h_rows)),
                     raw_insert(raw_database, ("household_members", LIST_COLUMNS, list_rows),
                                ("member_id", ID_COLUMNS, id_rows))))
        raw_database.unlink()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        copy_database(regions_only, database)  # the last import stays for the rest
        os.sync()
        imports.append(imports_in_fresh_process(database, h_path, m_path))
        log("  raw households {:.1f} s, members {:.1f} s; import households {:.1f} s, "
            "rollup {:.1f} s, members {:.1f} s".format(*raws[-1], *imports[-1]))
    del h_rows, list_rows, id_rows
    ratios_h = [raw[0] / run[0] for raw, run in zip(raws, imports, strict=True)]
    ratios_m = [raw[1] / run[2] for raw, run in zip(raws, imports, strict=True)]
    ratio_h, ratio_m = statistics.median(ratios_h), statistics.median(ratios_m)
    import_h = statistics.median(run[0] for run in imports)
    roll = statistics.median(run[1] for run in imports)
    t_members = statistics.median(run[2] for run in imports)
    province = statistics.median(sum(run) for run in imports)
    log(f"raw executemany: households {n_h / statistics.median(r[0] for r in raws):,.0f} rows/s, "
        f"members {n_m / statistics.median(r[1] for r in raws):,.0f} rows/s (medians)")
    log(f"import households: {n_h / import_h:,.0f} rows/s ({import_h:.1f} s), "
        f"then rollup {roll:.1f} s; members: {n_m / t_members:,.0f} rows/s ({t_members:.1f} s)"
        f" (medians of {len(imports)})")
    log("ratios to raw, pair by pair: households " + ", ".join(f"{r:.2f}" for r in ratios_h)
        + "; members " + ", ".join(f"{r:.2f}" for r in ratios_m))
    log(f"province imported and rolled up: {province:.1f} s (median; runs "
        + ", ".join(f"{sum(run):.1f}" for run in imports) + ")")

    runs = []
    for _ in range(args.repeat):  # alternately, medians: both swing on this machine
        runs.append((hierarchical_baseline(app), *rebuild_in_fresh_process(database)))
    runs.sort(key=lambda run: run[1])
    baseline = statistics.median(run[0] for run in runs)
    t_full, phases = runs[len(runs) // 2][1:]
    log(f"full rebuild {t_full:.1f} s vs hierarchical baseline {baseline:.1f} s "
        f"({t_full / baseline:.2f}×, medians of {len(runs)}; pairs "
        + ", ".join(f"{r:.1f}/{b:.1f}" for b, r, _ in runs) + "); phases of the median: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items()))

    log_page_times(*page_db_times(make_app(database, PAGE_CACHE=False),
                                  random.Random(args.seed)))

    web: dict[str, tuple[float, float]] = {}
    if not args.skip_http:
        from stats_http import http

        web = http(database, "450821000000", SECRET)
        static = web["static"][0]
        for name in ("static", "stats, no cache", "stats, render cache"):
            rate, p99 = web[name]
            log(f"gunicorn {name}: {rate:,.0f} req/s ({rate / static:.2f}× static), "
                f"p99 {p99:.1f} ms")
        log(f"page size {web['page bytes'][0] / 1024:.0f} KiB")

    log(f"\nrows: {n_h:,} households, {n_m:,} members; ratios (medians of the pairs'): "
        f"households {ratio_h:.2f}×, members {ratio_m:.2f}× of raw executemany")
    log(f"bench total {time.perf_counter() - started:.0f} s; database in {work}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
