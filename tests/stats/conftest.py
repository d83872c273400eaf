"""A small register under the test regions (see tests/conftest.py ``regions``), CSV writers,
and canary people whose names and ID numbers must never come out in public."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sunshine.extensions import db
from sunshine.stats import rollup, synthetic
from sunshine.stats.idnumbers import id_hasher

VILLAGES = ["450102101201", "450102101202", "450102102201", "450102102202",
            "450103101201", "450103101202", "450103102201", "450103102202"]

#: Names and ID numbers (valid checksums) that must never appear in anything public.
CANARY_NAMES = ["金丝雀甲", "欧阳雀鸣", "司马雀飞"]
CANARY_IDS = ["450102198001010015", "450102197503120025", "450103199012120034"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def insert_register(households: list[synthetic.SyntheticHousehold]) -> None:
    synthetic.insert(households, id_hasher())
    db.session.commit()


def make_register(count: int = 240, seed: int = 7,
                  villages: list[str] | None = None) -> list[synthetic.SyntheticHousehold]:
    rng = random.Random(seed)
    return list(synthetic.register(rng, villages or VILLAGES, count))


def add_canaries(households: list[synthetic.SyntheticHousehold]) -> list[int]:
    """Put each canary person into a household of the county their ID number names; returns
    the archive numbers of those households."""
    used: list[int] = []
    for name, number in zip(CANARY_NAMES, CANARY_IDS, strict=True):
        h = next(x for x in households
                 if x.village.startswith(number[:6]) and x.archive not in used)
        first = list(h.members[0])
        first[0], first[1] = name, number
        h.members[0] = tuple(first)  # type: ignore[assignment]
        used.append(h.archive)
    return used


@pytest.fixture
def register(app: Any, regions: dict[str, str]) -> list[synthetic.SyntheticHousehold]:
    """240 synthetic households in the eight test villages (canaries included), rolled up."""
    households = make_register()
    add_canaries(households)
    insert_register(households)
    rollup.rebuild_all()
    return households


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str, header: list[str], rows: list[list[str]]) -> Path:
        return write_csv(tmp_path / name, header, rows)

    return make
