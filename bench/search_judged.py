"""The judged query set of tests/search/judged.py at full size, for bench_search.py: the site's
search against SQLite FTS5 with the trigram tokenizer (the peer), recall@10, MRR and latency by
kind of query, side by side; and the index size against a words-only index."""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from search_http import Report, pct  # noqa: E402
from tests.search.judged import (  # noqa: E402
    KINDS,
    Doc,
    Judged,
    Place,
    measure,
    short_name,
    write_queries,
)


def load_site_data(app) -> None:
    """The configured province's regions, the demo's articles and synonym groups."""
    from sunshine.content.services import sync_folder
    from sunshine.extensions import db
    from sunshine.regions import services as regions
    from sunshine.search import synonyms

    with app.app_context():
        regions.load_builtin_province()
        sync_folder(Path(app.config["CONTENT_DIR"]))
        synonyms.load_demo_groups(None)
        db.session.commit()


def judged_set(app, index_dir: Path) -> tuple[list[Judged], list[Doc]]:
    """The queries, written from every document of the index (read back from it)."""
    from sqlalchemy import select
    from whoosh import index as whoosh_index

    from sunshine.extensions import db
    from sunshine.regions.models import Region
    from sunshine.search import synonyms

    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        docs = [Doc(f["url"], f["title"], f["body"]) for f in searcher.all_stored_fields()]
    with app.app_context():
        places = [Place(f"/stats/{r.code}", r.name, short_name(r.name)) for r in db.session.execute(
            select(Region).where(Region.level.in_((2, 3)))).scalars()]
        groups = [g.word_list for g in synonyms.list_groups()]
    return write_queries(docs, places, groups), docs


def build_trigram(db_path: Path, docs: list[Doc]) -> float:
    """The peer: an FTS5 table with the trigram tokenizer over the same titles and bodies."""
    start = time.perf_counter()
    con = sqlite3.connect(db_path)
    with con:
        con.execute("DROP TABLE IF EXISTS tri")
        con.execute("DROP TABLE IF EXISTS tri_url")
        con.execute("CREATE VIRTUAL TABLE tri USING fts5(title, body, tokenize='trigram')")
        con.execute("CREATE TABLE tri_url (id INTEGER PRIMARY KEY, url TEXT)")
        con.executemany("INSERT INTO tri (rowid, title, body) VALUES (?, ?, ?)",
                        ((i, d.title, d.body) for i, d in enumerate(docs, 1)))
        con.executemany("INSERT INTO tri_url VALUES (?, ?)",
                        ((i, d.url) for i, d in enumerate(docs, 1)))
    con.close()
    return time.perf_counter() - start


_TOKENS = re.compile(r'"([^"]*)"|(\S+)')


def trigram_runner(db_path: Path) -> Callable[[str], list[str]]:
    """The search box's text in FTS5: each word or quoted text a substring, OR-ed, ranked by
    bm25 (titles 3×). The trigram index cannot answer a text under 3 characters: those are
    looked up with LIKE, a scan of every document, as SQLite's documentation advises."""
    con = sqlite3.connect(db_path)
    urls = dict(con.execute("SELECT id, url FROM tri_url"))

    def run(text: str) -> list[str]:
        pieces = [(q or w).replace('"', "") for q, w in _TOKENS.findall(text) if (q or w)]
        long = [p for p in pieces if len(p) >= 3]
        short = [p for p in pieces if len(p) < 3]
        found: list[int] = []
        if long:
            match = " OR ".join(f'"{p}"' for p in long)
            found += [r for (r,) in con.execute(
                "SELECT rowid FROM tri WHERE tri MATCH ? ORDER BY bm25(tri, 3.0, 1.0) LIMIT 10",
                (match,))]
        for piece in short:
            like = f"%{piece}%"
            found += [r for (r,) in con.execute(
                "SELECT rowid FROM tri WHERE title LIKE ? OR body LIKE ? LIMIT 10", (like, like))]
        return [urls[r] for r in found]

    return run


def site_runner(app, index_dir: Path) -> Callable[[str], list[str]]:
    """The search page's answer: the best bets, then the hits, with the synonym groups."""
    from sunshine.search import synonyms
    from sunshine.search.index import search
    from sunshine.search.suggest import best_bets

    with app.app_context():
        groups = synonyms.groups_by_word()

    def run(text: str) -> list[str]:
        bets = [p.url for p in best_bets(index_dir, text)]
        return bets + [h.url for h in search(index_dir, text, synonyms=groups).hits]

    return run


def timed(run: Callable[[str], list[str]], times: dict[str, list[float]], kind_of: dict[str, str]
          ) -> Callable[[str], list[str]]:
    def wrapped(text: str) -> list[str]:
        start = time.perf_counter()
        found = run(text)
        times.setdefault(kind_of[text], []).append(time.perf_counter() - start)
        return found

    return wrapped


def compare(app, index_dir: Path, db_path: Path, report: Report) -> None:
    """The judged set against the site's search and the trigram peer, side by side."""
    start = time.perf_counter()
    queries, docs = judged_set(app, index_dir)
    report.add("judged set", f"{len(queries)} queries written from {len(docs):,} documents in "
               f"{time.perf_counter() - start:.0f} s: " + ", ".join(
                   f"{k} {sum(q.kind == k for q in queries)}" for k in KINDS))
    built = build_trigram(db_path, docs)
    kind_of = {q.text: q.kind for q in queries}
    site_times: dict[str, list[float]] = {}
    peer_times: dict[str, list[float]] = {}
    site = measure(queries, timed(site_runner(app, index_dir), site_times, kind_of))
    peer = measure(queries, timed(trigram_runner(db_path), peer_times, kind_of))
    targets = {"fragment": ("recall", 0.99), "place": ("recall", 0.95),
               "pinyin": ("recall", 0.95), "title": ("mrr", 0.8)}
    for kind in KINDS:
        if kind not in site:
            continue
        mine, theirs = site[kind], peer[kind]
        target = targets.get(kind)
        verdict = ""
        if target:
            value = getattr(mine, target[0])
            verdict = (f" (target {target[0]} ≥ {target[1]}: "
                       f"{'met' if value >= target[1] else 'MISSED'})")
        report.add(f"judged {kind} ({mine.queries} queries): site / FTS5 trigram",
                   f"recall@10 {mine.recall:.3f} / {theirs.recall:.3f}, MRR {mine.mrr:.3f} / "
                   f"{theirs.mrr:.3f}; p50 {pct(site_times[kind], .5) * 1000:.1f} / "
                   f"{pct(peer_times[kind], .5) * 1000:.1f} ms, p95 "
                   f"{pct(site_times[kind], .95) * 1000:.1f} / "
                   f"{pct(peer_times[kind], .95) * 1000:.1f} ms{verdict}")
    every_site = [t for ts in site_times.values() for t in ts]
    every_peer = [t for ts in peer_times.values() for t in ts]
    report.add("judged set, every query: site / FTS5 trigram",
               f"p50 {pct(every_site, .5) * 1000:.1f} / {pct(every_peer, .5) * 1000:.1f} ms, "
               f"p95 {pct(every_site, .95) * 1000:.1f} / {pct(every_peer, .95) * 1000:.1f} ms; "
               f"trigram table built in {built:.0f} s, {_table_bytes(db_path) / 2**20:.0f} MB")


def _table_bytes(db_path: Path) -> int:
    con = sqlite3.connect(db_path)
    try:
        return sum(size for (size,) in con.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'tri%'"))
    except sqlite3.OperationalError:  # SQLite built without dbstat
        return 0
    finally:
        con.close()


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


@contextmanager
def words_only() -> Iterator[None]:
    """Rebuilds inside index titles and bodies as jieba words only, as before the bigram,
    pinyin and place fields: the baseline of the index size."""
    from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

    from sunshine.search import index
    from sunshine.search.analysis import chinese_analyzer

    def schema() -> Schema:
        analyzer = chinese_analyzer()
        return Schema(id=ID(stored=True, unique=True), type=ID(stored=True),
                      title=TEXT(stored=True, analyzer=analyzer, field_boost=3.0),
                      body=TEXT(stored=True, analyzer=analyzer), url=STORED(),
                      region_code=ID(stored=True), region_path=KEYWORD(commas=False,
                                                                       scorable=False),
                      year=ID(), date=ID(stored=True))

    full_schema, full_fields = index.schema, index._fields
    index.schema = schema
    index._fields = lambda doc: {k: v for k, v in full_fields(doc).items()
                                 if k in schema().names()}
    try:
        yield
    finally:
        index.schema, index._fields = full_schema, full_fields
