"""Site search figures for its speed targets, each against a baseline measured in the same run
(absolute numbers drift ±40 % on this shared 2-core machine; the ratios hold):

1. full rebuild of 20,000 generated Chinese documents (500–2,000 characters): one Whoosh
   writer (``procs=1``) against the default path (forked sub-writers, one segment each);
2. 200 queries of 1–3 words and quoted phrases through the real ``search()`` service, p50/p95,
   side by side with SQLite FTS5 over the same jieba-segmented text;
3. the judged query set of tests/search/judged.py (fragments, words, place names, pinyin,
   synonyms, titles) written from the whole index, recall@10, MRR and latency by kind, side by
   side with SQLite FTS5 and its trigram tokenizer; the index size against words only;
4. time from ``update()`` of a newly published document to its first hit;
5. gunicorn (2 sync workers, 127.0.0.1) req/s: a Flask hello-world, an article page and the
   search page of the demo site, with wrk when installed (``apt-get install -y wrk``), else a
   small Python load generator.

Run by hand (about 14 minutes): ``.venv/bin/python bench/bench_search.py``.
Options: ``--docs N`` (default 20,000), ``--ratio-docs N`` (documents for the one-writer /
parallel comparison, default 4,000), ``--skip-http``, ``--skip-words-only`` (no second full
rebuild for the size baseline), ``--rebuild-only`` (one full rebuild of the documents, its
wall and CPU time and index size, then the judged set: a few minutes). The CPU time of a small
rebuild alone: ``bench/search_rebuild.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

from search_corpus import make_queries, query_words  # noqa: E402
from search_http import Report, http_figures, load, pct  # noqa: E402
from search_judged import compare, folder_bytes, load_site_data, words_only  # noqa: E402
from search_rebuild import (  # noqa: E402
    bench_app,
    store_documents,
    timed_rebuild,
    writers_compared,
)

# --------------------------------------------------------------------------------------------
# 2. Queries: the search service and SQLite FTS5 side by side


def service_latencies(index_dir: Path, queries: list[str], cold: bool = False
                      ) -> tuple[list[float], list[float], int, float]:
    """Wall and CPU seconds of each query (CPU time is what other processes on the machine
    disturb least), the number of queries with hits, and the searcher's opening time.

    Each query asks for the facets the search page shows (types, years, the 14 cities).
    ``cold`` empties the per-segment cache of word scores and phrase matches before each
    query, as if every query were the first of its words since the index changed; the arrays
    of the filter values (types, years, cities) and the field lengths, shared by every query,
    stay."""
    from sunshine.search import docsets
    from sunshine.search.index import TYPE_LABELS, search
    from sunshine.search.ranking import FILTER_FIELDS

    def forget_words() -> None:
        for entries in list(docsets._BITS.values()):
            for key in [k for k in entries if k[0] != "lengths"
                        and not any(f in FILTER_FIELDS for f in k[:2])]:
                del entries[key]

    facets = {"type": list(TYPE_LABELS), "year": [str(y) for y in range(2026, 2013, -1)],
              "region_path": [f"45{n:02d}" for n in range(1, 15)]}
    start = time.perf_counter()
    search(index_dir, "扶贫")  # opens the per-process searcher, as a worker's first request
    opened = time.perf_counter() - start
    times, cpu, with_hits = [], [], 0
    for q in queries:
        if cold:
            forget_words()
        start, start_cpu = time.perf_counter(), time.process_time()
        results = search(index_dir, q, facets=facets)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        with_hits += bool(results.total)
    return times, cpu, with_hits, opened


def _segment(text: str) -> str:
    from sunshine.search.analysis import chinese_analyzer

    analyzer = _segment.__dict__.setdefault("analyzer", chinese_analyzer())
    return " ".join(t.text for t in analyzer(text))


def _segment_row(row: tuple[int, str, str]) -> tuple[int, str, str]:
    return row[0], _segment(row[1]), _segment(row[2])


def build_fts(db_path: Path) -> float:
    """An FTS5 table over the same documents, segmented by the site's jieba analyzer (query
    mode: one token per word) in two processes."""
    import multiprocessing

    start = time.perf_counter()
    _segment("扶贫")  # load jieba before forking
    con = sqlite3.connect(db_path)
    with con:
        con.execute("CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='unicode61')")
        rows = con.execute("SELECT id, title, body FROM bench_docs ORDER BY id")
        with multiprocessing.get_context("fork").Pool(2) as pool:
            con.executemany("INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)",
                            pool.imap(_segment_row, rows.fetchall(), chunksize=200))
    con.close()
    return time.perf_counter() - start


def fts_query(text: str) -> str:
    """The query language of the search box, in FTS5: words OR-ed, quoted text a phrase."""
    parts = []
    for quoted, word in re.findall(r'"([^"]+)"|(\S+)', text):
        tokens = _segment(quoted or word).split()
        if quoted:
            parts.append('"' + " ".join(tokens) + '"')
        else:
            parts += [f'"{t}"' for t in tokens]
    return " OR ".join(parts)


def fts_latencies(db_path: Path, queries: list[str]) -> tuple[list[float], list[float], int]:
    """Top 10 by bm25 (title weighted 3×, like the Whoosh field boost), a snippet for each,
    and the total count: what a results page needs."""
    con = sqlite3.connect(db_path)
    top = ("SELECT rowid, title, snippet(fts, 1, '<mark>', '</mark>', '…', 24) FROM fts "
           "WHERE fts MATCH ? ORDER BY bm25(fts, 3.0, 1.0) LIMIT 10")
    times, cpu, with_hits = [], [], 0
    con.execute(top, (fts_query("扶贫"),)).fetchall()
    for q in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        match = fts_query(q)
        rows = con.execute(top, (match,)).fetchall()
        total = con.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (match,)).fetchone()[0]
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        with_hits += bool(total and rows)
    con.close()
    return times, cpu, with_hits


# --------------------------------------------------------------------------------------------
# 3. Freshness: update() to first hit


def freshness(app, index_dir: Path, rounds: int = 3) -> list[tuple[float, float]]:
    from sunshine.registry import SearchDoc
    from sunshine.search.index import search, update

    found = []
    with app.app_context():
        for i in range(rounds):
            marker = f"fresh{i}x{os.getpid()}"
            doc = SearchDoc(id=f"bench:new{i}", type="news",
                            title=f"马山县危房改造补助资金发放公示 {marker}",
                            body=f"马山县2021年农村危房改造补助资金已经发放到户。{marker}",
                            url=f"/bench/new{i}", region_code="450124000000", date="2021-06-01")
            start = time.perf_counter()
            update(index_dir, [doc], [])
            written = time.perf_counter() - start
            deadline = start + 10.0
            seen = None
            while time.perf_counter() < deadline:
                if search(index_dir, marker).total:
                    seen = time.perf_counter() - start
                    break
                time.sleep(0.01)
            found.append((written, seen if seen is not None else float("inf")))
    return found


# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--ratio-docs", type=int, default=4_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--http-seconds", type=float, default=5)
    parser.add_argument("--http-rounds", type=int, default=3)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-words-only", action="store_true")
    parser.add_argument("--rebuild-only", action="store_true",
                        help="one full rebuild (time, CPU, index size) and the judged set")
    args = parser.parse_args()

    began = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="sunshine-bench-search-"))
    report = Report()
    cpus = len(os.sched_getaffinity(0))
    print(f"machine: {platform.node()} {platform.machine()}, {cpus} CPUs, "
          f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {folder}")
    try:
        db_path = folder / "bench.sqlite"
        start = time.perf_counter()
        store_documents(db_path, args.docs)
        con = sqlite3.connect(db_path)
        chars = con.execute("SELECT avg(length(body)), min(length(body)), max(length(body)) "
                            "FROM bench_docs").fetchone()
        con.close()
        report.add("documents", f"{args.docs:,} generated, body {chars[1]}–{chars[2]} characters "
                   f"(mean {chars[0]:,.0f}), in {time.perf_counter() - start:.1f} s")
        limit = [args.ratio_docs]
        app = bench_app(folder, db_path, limit)

        print("1. rebuild", flush=True)
        single_rate = 0.0
        if not args.rebuild_only:
            single_rate = writers_compared(app, folder, args.ratio_docs, cpus, report)
        limit[0] = args.docs
        index_dir = folder / "index"
        load_site_data(app)  # regions, the demo's articles and synonyms: for the judged set
        load_before = load()
        full_n, full_s, full_cpu = timed_rebuild(app, index_dir, procs=None)
        assert full_n >= args.docs, full_n
        versus = f"{full_n / full_s / single_rate:.2f}× the one-writer rate above; " \
            if single_rate else ""
        report.add(f"rebuild, default path, all {full_n:,} docs (with regions and articles)",
                   f"{full_s:.1f} s = {full_n / full_s:.0f} docs/s (target < 240 s: "
                   f"{'met' if full_s < 240 else 'MISSED'}); {versus}CPU {full_cpu:.0f} s over "
                   f"every process = {full_cpu / full_n * 1000:.1f} ms/doc; load average before "
                   f"{load_before}, after {load()}")

        size = folder_bytes(index_dir)
        if not (args.skip_words_only or args.rebuild_only):
            with words_only():
                _, words_s, words_cpu = timed_rebuild(app, folder / "words-only", procs=None)
            words_size = folder_bytes(folder / "words-only")
            shutil.rmtree(folder / "words-only")
            report.add("index size: with bigrams, pinyin and places / jieba words only",
                       f"{size / 2**20:.0f} MB / {words_size / 2**20:.0f} MB = "
                       f"{size / words_size:.2f}×; words-only rebuild {words_s:.1f} s, CPU "
                       f"{words_cpu / full_n * 1000:.0f} ms/doc: the new fields cost "
                       f"{full_s / words_s:.2f}× the wall time, {full_cpu / words_cpu:.2f}× the "
                       "CPU time")
        else:
            report.add("index size", f"{size / 2**20:.0f} MB")
        if args.rebuild_only:
            print("3. judged set", flush=True)
            compare(app, index_dir, db_path, report)
            return
        print("2. queries", flush=True)
        queries = make_queries(args.queries)
        words = query_words(queries)
        share = sum(len(w) == 2 for w in words) / len(words)
        phrases = sum(q.startswith('"') for q in queries)
        report.add("queries", f"{len(queries)}: {phrases} quoted phrases, the rest 1–3 words; "
                   f"{share:.0%} of query words have 2 characters")
        query_load = load()
        with app.app_context():
            times, cpu, with_hits, opened = service_latencies(index_dir, queries)
        ws50, ws95 = pct(times, 0.5) * 1000, pct(times, 0.95) * 1000
        wc50, wc95 = pct(cpu, 0.5) * 1000, pct(cpu, 0.95) * 1000
        report.add("opening the searcher (first query of a worker)", f"{opened * 1000:.0f} ms")
        report.add("search() service, page 1 with snippets", f"p50 {ws50:.1f} ms (target ≤ 15: "
                   f"{'met' if ws50 <= 15 else 'MISSED'}), p95 {ws95:.1f} ms (target ≤ 100: "
                   f"{'met' if ws95 <= 100 else 'MISSED'}), max {max(times) * 1000:.0f} ms; CPU "
                   f"time p50 {wc50:.1f} ms, p95 {wc95:.1f} ms; {with_hits} queries with hits; "
                   f"load average {query_load}")
        cold_times, cold_cpu, _, _ = service_latencies(index_dir, queries, cold=True)
        report.add("… the same with the words' cache emptied before every query (each query "
                   "the first of its words since the index changed)",
                   f"p50 {pct(cold_times, 0.5) * 1000:.1f} ms, p95 "
                   f"{pct(cold_times, 0.95) * 1000:.1f} ms; CPU p50 {pct(cold_cpu, 0.5) * 1000:.1f}"
                   f" ms, p95 {pct(cold_cpu, 0.95) * 1000:.1f} ms")
        phrase_cpu = [c for c, q in zip(cpu, queries, strict=True) if q.startswith('"')]
        word_cpu = [c for c, q in zip(cpu, queries, strict=True) if not q.startswith('"')]
        report.add("… CPU time by kind of query", f"words p50 {pct(word_cpu, 0.5) * 1000:.1f} ms, "
                   f"p95 {pct(word_cpu, 0.95) * 1000:.1f} ms; phrases p50 "
                   f"{pct(phrase_cpu, 0.5) * 1000:.1f} ms, "
                   f"p95 {pct(phrase_cpu, 0.95) * 1000:.1f} ms")
        fts_build = build_fts(db_path)
        fts_load = load()
        fts_times, fts_cpu, fts_hits = fts_latencies(db_path, queries)
        fs50, fs95 = pct(fts_times, 0.5) * 1000, pct(fts_times, 0.95) * 1000
        fc50, fc95 = pct(fts_cpu, 0.5) * 1000, pct(fts_cpu, 0.95) * 1000
        report.add("SQLite FTS5 peer (jieba-segmented, top 10 by bm25 + snippet + count)",
                   f"p50 {fs50:.1f} ms, p95 {fs95:.1f} ms; CPU time p50 {fc50:.1f} ms, p95 "
                   f"{fc95:.1f} ms; {fts_hits} queries with hits; built in {fts_build:.0f} s; "
                   f"load average {fts_load}")
        report.add("p95 ratio search() / FTS5", f"{ws95 / fs95:.1f}× wall, {wc95 / fc95:.1f}× CPU "
                   f"time (stretch ≤ 5×: {'met' if ws95 / fs95 <= 5 else 'not met'})")

        print("3. judged set", flush=True)
        compare(app, index_dir, db_path, report)

        print("4. freshness", flush=True)
        fresh = freshness(app, index_dir)
        worst = max(seen for _, seen in fresh)
        report.add("update() of a new document → first hit",
                   ", ".join(f"{seen:.2f} s (update {w:.2f} s)" for w, seen in fresh)
                   + f" (target ≤ 2 s: {'met' if worst <= 2 else 'MISSED'})")

        if not args.skip_http:
            print("5. gunicorn", flush=True)
            (folder / "http").mkdir()
            http_figures(folder / "http", report, args.http_seconds, args.http_rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"\nwhole run: {time.perf_counter() - began:.0f} s\n")
        print(report.markdown())


if __name__ == "__main__":
    main()
