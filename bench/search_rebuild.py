"""Rebuilding the index of generated documents, for bench_search.py: the documents in SQLite,
a search source reading them, one timed ``rebuild()`` (wall and CPU seconds of every process),
the one-writer / parallel comparison.

Run alone, it prints the CPU seconds of one rebuild of a small corpus, the figure that other
work on a shared machine disturbs least:
``.venv/bin/python bench/search_rebuild.py [--docs 3000] [--procs N] [--profile]``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpus import make_documents, make_queries  # noqa: E402
from search_http import Report, load  # noqa: E402


def store_documents(db_path: Path, count: int) -> None:
    con = sqlite3.connect(db_path)
    with con:
        con.execute("CREATE TABLE bench_docs (id INTEGER PRIMARY KEY, kind TEXT, title TEXT, "
                    "body TEXT, region TEXT, date TEXT)")
        con.executemany("INSERT INTO bench_docs VALUES (?, ?, ?, ?, ?, ?)", make_documents(count))
    con.close()


def register_bench_source(app, db_path: Path, limit: list[int]) -> None:
    """A search source of ``app`` reading the first ``limit[0]`` generated documents."""
    from sunshine.registry import SearchDoc, registry

    def bench_documents() -> Iterator[SearchDoc]:
        con = sqlite3.connect(db_path)
        try:
            rows = con.execute("SELECT id, kind, title, body, region, date FROM bench_docs "
                               "WHERE id <= ? ORDER BY id", (limit[0],))
            for doc_id, kind, title, body, region, date in rows:
                yield SearchDoc(id=f"bench:{doc_id}", type=kind, title=title, body=body,
                                url=f"/bench/{doc_id}", region_code=region, date=date)
        finally:
            con.close()

    registry(app).add_search_source("bench", bench_documents)


def bench_app(folder: Path, db_path: Path, limit: list[int]):
    """An app on an empty database of its own in ``folder``, indexing the generated documents."""
    from sunshine import create_app
    from sunshine.extensions import db

    app = create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": "b" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'app.sqlite'}",
                      "SEARCH_INDEX_DIR": str(folder / "index"), "RATELIMIT_ENABLED": False})
    register_bench_source(app, db_path, limit)
    with app.app_context():
        db.create_all()  # the app's own sources (regions, articles) are empty here
    return app


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the forked sub-writers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed_rebuild(app, index_dir: Path, procs: int | None) -> tuple[int, float, float]:
    """Documents, wall seconds and CPU seconds (all processes) of one ``rebuild()``."""
    from sunshine.search.analysis import chinese_analyzer
    from sunshine.search.index import rebuild

    list(chinese_analyzer()("扶贫"))  # jieba's dictionary loaded (~1 s) before the clock
    with app.app_context():
        cpu = cpu_seconds()
        start = time.perf_counter()
        counts = rebuild(index_dir, procs=procs)
        return sum(counts.values()), time.perf_counter() - start, cpu_seconds() - cpu


def same_results(index_a: Path, index_b: Path, queries: list[str]) -> bool:
    """Same document count, and the same set of hits (ids, ignoring order) for the queries."""
    from whoosh import index as whoosh_index
    from whoosh.qparser import MultifieldParser, OrGroup

    ids = []
    for folder in (index_a, index_b):
        ix = whoosh_index.open_dir(str(folder))
        with ix.searcher() as searcher:
            parser = MultifieldParser(["title", "body"], schema=ix.schema,
                                      group=OrGroup.factory(0.9))
            found = [searcher.doc_count()]
            for q in queries:
                hits = searcher.search(parser.parse(q), limit=None)
                found.append(sorted(h["id"] for h in hits))
            ids.append(found)
    return ids[0] == ids[1]


def writers_compared(app, folder: Path, docs: int, cpus: int, report: Report) -> float:
    """One writer against the default path on ``docs`` documents; the one-writer rate."""
    load_before = load()
    single_n, single_s, single_cpu = timed_rebuild(app, folder / "one-writer", procs=1)
    load_between = load()
    par_n, par_s, par_cpu = timed_rebuild(app, folder / "parallel", procs=None)
    assert single_n == par_n == docs, (single_n, par_n)
    checks = make_queries(30, seed=99)
    identical = same_results(folder / "one-writer", folder / "parallel", checks)
    shutil.rmtree(folder / "one-writer")
    shutil.rmtree(folder / "parallel")
    single_rate, par_rate = single_n / single_s, par_n / par_s
    ratio = par_rate / single_rate
    report.add(f"rebuild, one writer (procs=1), {single_n:,} docs",
               f"{single_s:.1f} s = {single_rate:.0f} docs/s; CPU "
               f"{single_cpu / single_n * 1000:.0f} ms/doc; load average before {load_before}")
    report.add(f"rebuild, default path (procs={min(cpus, 4)}, multisegment), {par_n:,} docs",
               f"{par_s:.1f} s = {par_rate:.0f} docs/s: {ratio:.2f}× one writer (target ≥ "
               f"1.45×: {'met' if ratio >= 1.45 else 'MISSED'}; stretch 2×: "
               f"{'met' if ratio >= 2 else 'not met'}); CPU {par_cpu / par_n * 1000:.0f} ms/doc"
               f" over all processes; load average before {load_between}")
    report.add("same index both ways", f"{'yes' if identical else 'NO'}: doc count and the "
               f"full hit sets of {len(checks)} queries")
    return single_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--procs", type=int, default=None,
                        help="indexing processes (default: rebuild()'s own choice)")
    parser.add_argument("--profile", action="store_true", help="cProfile this process")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sunshine-bench-rebuild-"))
    try:
        db_path = folder / "bench.sqlite"
        store_documents(db_path, args.docs)
        app = bench_app(folder, db_path, [args.docs])
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
        docs, wall, cpu = timed_rebuild(app, folder / "index", args.procs)
        if args.profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        size = sum(f.stat().st_size for f in (folder / "index").rglob("*") if f.is_file())
        print(f"{docs:,} documents, procs {args.procs or 'default'}: CPU {cpu:.1f} s "
              f"({cpu / docs * 1000:.1f} ms/doc, every process), wall {wall:.1f} s, index "
              f"{size / 2**20:.0f} MB; load average {load()}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
