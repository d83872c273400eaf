"""The data of the statistics benches (bench_stats.py, bench_stats_pg.py): 1.5 M synthetic
households and their members over Guangxi's real villages, written as a county's export once
and kept, and the exact rows the importers write, for the raw-insert baselines."""

from __future__ import annotations

import csv
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DIVISIONS = ROOT.parent / "shared" / "data" / "divisions"


def log(message: str) -> None:
    print(message, flush=True)


# --- data -----------------------------------------------------------------------------------


def villages() -> list[str]:
    with (DIVISIONS / "guangxi_villages.csv").open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


def generate(folder: Path, households: int, seed: int) -> tuple[Path, Path]:
    """Write households.csv and members.csv (kept for later runs)."""
    from sunshine.stats import synthetic

    folder.mkdir(parents=True, exist_ok=True)
    h_path = folder / f"households-{households}-{seed}.csv"
    m_path = folder / f"members-{households}-{seed}.csv"
    if h_path.exists() and m_path.exists():
        return h_path, m_path
    rng = random.Random(seed)
    codes = villages()
    # Villages differ in size: weights from a lognormal spread.
    weights = [rng.lognormvariate(0, 0.6) for _ in codes]
    started = time.perf_counter()
    with h_path.with_suffix(".tmp").open("w", encoding="utf-8", newline="") as h_file, \
            m_path.with_suffix(".tmp").open("w", encoding="utf-8", newline="") as m_file:
        h_writer, m_writer = csv.writer(h_file), csv.writer(m_file)
        h_writer.writerow(synthetic.HOUSEHOLD_CSV_HEADER)
        m_writer.writerow(synthetic.MEMBER_CSV_HEADER)
        for n, h in enumerate(synthetic.register(rng, codes, households, weights), 1):
            h_writer.writerow(h.csv_row())
            archive = f"{h.archive:016d}"
            m_writer.writerows([archive, *member] for member in h.members)
            if n % 250_000 == 0:
                log(f"  generated {n:,} households ({time.perf_counter() - started:.0f} s)")
    h_path.with_suffix(".tmp").rename(h_path)
    m_path.with_suffix(".tmp").rename(m_path)
    return h_path, m_path


# --- the raw baselines -----------------------------------------------------------------------


def raw_rows(h_path: Path, m_path: Path, app: Any) -> tuple[list[tuple[Any, ...]],
                                                            list[tuple[Any, ...]],
                                                            list[tuple[Any, ...]]]:
    """The exact rows the importers insert, prepared before timing the raw baseline:
    households; members packed a row per household; ID hashes (sorted, as a first load
    writes them)."""
    import itertools

    from sunshine.stats import members as packing
    from sunshine.stats import vocab
    from sunshine.stats.idnumbers import id_hasher
    from sunshine.stats.rowcheck import other_causes as _other_causes
    from sunshine.stats.rowcheck import parse_measures as _measures

    households = []
    with h_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for r in reader:
            bits, text = _measures(r[10])
            households.append((int(r[0]), r[1], vocab.CAUSE_CODES[r[2]], _other_causes(r[3]),
                               int(r[4]), int(r[5]), *(int(x) if x else 0 for x in r[6:10]),
                               bits, text, r[11], r[12], r[13], False))
    lists, ids = [], []
    with app.app_context():
        digest = id_hasher()
    with m_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for archive, people in itertools.groupby(reader, key=lambda r: r[0]):
            row, people_ids = packing.pack_household(int(archive), (r[1:] for r in people),
                                                     digest)
            lists.append(row)
            ids.extend(people_ids)
    ids.sort()
    return households, lists, ids


def raw_insert(database: Path, *tables: tuple[str, tuple[str, ...], list[tuple[Any, ...]]]
               ) -> float:
    """Seconds for sqlite3.executemany of each (table, columns, rows) (20,000 rows a batch,
    one transaction), with the pragmas the app sets on every connection."""
    connection = sqlite3.connect(database, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=15000",
                   "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    connection.execute("BEGIN")
    for table, columns, rows in tables:
        statement = (f"INSERT INTO {table} ({', '.join(columns)}) "
                     f"VALUES ({', '.join('?' * len(columns))})")
        for i in range(0, len(rows), 20_000):
            connection.executemany(statement, rows[i:i + 20_000])
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds
