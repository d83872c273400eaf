"""Disclosure control of the household statistics, alone (no database writes): the CPU seconds
of a full decision (``tree.protect``: the top-down settling, then the attack rounds over the whole
tree), split into the settling and the attack, on two registers:

* the demo's (its region tree and rollups read from a demo database, ``--demo``; built in
  ``--data`` when not given),
* a synthetic province: Guangxi's real villages, ``--households`` made-up households (the
  village vectors are kept in ``--data`` and reused).

Each is decided ``--repeat`` times in turn (the machine is shared: compare figures taken in the
same minute). Run by hand: ``.venv/bin/python bench/bench_disclosure.py [--only demo]``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import sqlite3
import statistics
import sys
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))
DIVISIONS = ROOT.parent / "shared" / "data" / "divisions"

from sunshine.stats import exposure, tree, vocab  # noqa: E402
from sunshine.stats.layout import layout  # noqa: E402
from sunshine.stats.tree import Tree  # noqa: E402


def log(message: str) -> None:
    print(message, flush=True)


# --- the registers ----------------------------------------------------------------------------


def tree_of(rows: list[tuple[str, int, str | None]]) -> Tree:
    level: dict[str, int] = {}
    parent: dict[str, str | None] = {}
    children: dict[str, list[str]] = {}
    root = ""
    for code, lvl, up in sorted(rows):
        level[code], parent[code] = lvl, up
        if up is None:
            root = code
        else:
            children.setdefault(up, []).append(code)
    return Tree(level, parent, children, root)


def demo(data: Path, database: Path | None) -> tuple[Tree, dict[str, array]]:
    """The demo's region tree and rollups (a demo database is built when none is given)."""
    if database is None:
        database = data / "demo.sqlite"
        if not database.exists():
            build_demo(database)
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT code, level, parent_code FROM region").fetchall()
        cells = con.execute("SELECT region_code, cells FROM stats_rollup").fetchall()
    from sunshine.stats.rollup import unpack

    shape = tree_of(rows)
    vectors = {code: unpack(blob) for code, blob in cells}
    zero = array("i", bytes(4 * layout().size))
    for code in shape.level:
        vectors.setdefault(code, zero)
    return shape, vectors


def build_demo(database: Path) -> None:
    from sunshine import create_app
    from sunshine.demo.services import build_demo as build
    from sunshine.extensions import db

    log(f"building the demo in {database} ...")
    database.parent.mkdir(parents=True, exist_ok=True)
    app = create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": "bench-" * 8,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "SEARCH_INDEX_DIR": str(database.parent / "index"),
                      "UPLOAD_DIR": str(database.parent / "uploads")})
    with app.app_context():
        db.create_all()
        build(households=2000, seed=2020, password="bench-password-1")
        db.session.remove()
        db.engine.dispose()


def province(data: Path, households: int, seed: int) -> tuple[Tree, dict[str, array]]:
    """Guangxi's villages, towns, counties and cities, with ``households`` synthetic households
    spread over the villages (weights from a lognormal spread), summed up."""
    from sunshine.stats import synthetic
    from sunshine.stats.vectors import WORK, accumulate, finish

    with (DIVISIONS / "guangxi_villages.csv").open(encoding="utf-8") as handle:
        villages = [row["code"] for row in csv.DictReader(handle)]
    rows: dict[str, tuple[str, int, str | None]] = {"450000000000": ("450000000000", 1, None)}
    for v in villages:
        town, county, city = v[:9] + "000", v[:6] + "000000", v[:4] + "00000000"
        rows[v] = (v, 5, town)
        rows[town] = (town, 4, county)
        rows[county] = (county, 3, city)
        rows[city] = (city, 2, "450000000000")
    shape = tree_of(list(rows.values()))
    size = layout().size
    cache = data / f"province-{households}-{seed}.npy"
    if cache.exists():
        matrix = np.load(cache)
    else:
        log(f"generating {households} households (kept in {cache}) ...")
        started = time.process_time()
        rng = random.Random(seed)
        weights = [rng.lognormvariate(0, 0.6) for _ in villages]
        works: dict[str, list[int]] = {}
        for h in synthetic.register(rng, villages, households, weights):
            bits = 0
            for name in h.measures:
                bits |= 1 << vocab.MEASURE_BITS[name]
            work = works.setdefault(h.village, [0] * WORK.size)
            accumulate(work, vocab.CAUSE_CODES[h.cause], h.size, bits, *h.events)
        matrix = np.zeros((len(villages), size), np.int32)
        for row, code in enumerate(villages):
            if code in works:
                matrix[row] = np.frombuffer(finish(works[code]).tobytes(), np.int32)
        data.mkdir(parents=True, exist_ok=True)
        np.save(cache, matrix)
        log(f"  {time.process_time() - started:.0f} s")
    vectors = {code: array("i", matrix[row].tobytes()) for row, code in enumerate(villages)}
    tree.sum_up(shape, vectors)
    return shape, vectors


# --- the decision, timed ----------------------------------------------------------------------


class Clock:
    """Seconds spent in the attack rounds (``Attacker`` built and asked), and how many rounds."""

    def __init__(self) -> None:
        self.attack = 0.0
        self.rounds = 0
        self.original = exposure.Attacker.cells_to_hide
        self.init = exposure.Attacker.__init__

    def __enter__(self) -> Clock:
        clock = self

        def timed(method: Callable[..., Any], rounds: bool) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.process_time()
                try:
                    return method(*args, **kwargs)
                finally:
                    clock.attack += time.process_time() - started
                    clock.rounds += rounds
            return wrapper

        exposure.Attacker.cells_to_hide = timed(self.original, True)  # type: ignore[method-assign]
        exposure.Attacker.__init__ = timed(self.init, False)  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        exposure.Attacker.cells_to_hide = self.original  # type: ignore[method-assign]
        exposure.Attacker.__init__ = self.init  # type: ignore[method-assign]


def decide(shape: Tree, vectors: dict[str, array], k: int) -> tuple[float, Clock, str]:
    """One full decision: seconds, the attack's share, and a digest of every decision."""
    with Clock() as clock:
        started = time.process_time()
        status = tree.protect(shape, dict(vectors), k)
        seconds = time.process_time() - started
    digest = hashlib.sha1(b"".join(bytes(status[code]) for code in sorted(status)))
    return seconds, clock, digest.hexdigest()[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/tmp/bench_disclosure", help="kept data")
    parser.add_argument("--demo", type=Path, help="a demo database (built in --data if absent)")
    parser.add_argument("--households", type=int, default=511_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--only", choices=["demo", "province"])
    args = parser.parse_args()
    data = Path(args.data)
    registers = {}
    if args.only in (None, "demo"):
        registers["demo"] = demo(data, args.demo)
    if args.only in (None, "province"):
        registers["province"] = province(data, args.households, args.seed)
    for name, (shape, vectors) in registers.items():
        decide(shape, vectors, args.k)  # compiled loops loaded, caches warm
        runs = [decide(shape, vectors, args.k) for _ in range(args.repeat)]
        seconds = [s for s, _, _ in runs]
        attack = [c.attack for _, c, _ in runs]
        log(f"{name}: {len(shape.level)} regions, {runs[0][1].rounds} attack rounds, "
            f"decisions {runs[0][2]}")
        settling = [s - a for s, a in zip(seconds, attack, strict=True)]
        log(f"  full decision {statistics.median(seconds):.3f} s (min {min(seconds):.3f}), "
            f"attack {statistics.median(attack):.3f} s (min {min(attack):.3f}), "
            f"settling {statistics.median(settling):.3f} s")


if __name__ == "__main__":
    main()
