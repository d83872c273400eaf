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
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX

VILLAGES = [prefix + village for prefix in (COUNTY_PREFIX, OTHER_PREFIX)
            for village in ("101201", "101202", "102201", "102202")]


def with_check_digit(body: str) -> str:
    """The 17 digits ``body`` and their GB 11643 check digit: a valid ID number."""
    return body + "10X98765432"[2 * int(body, 13) % 11]


#: Names and ID numbers (valid checksums) that must never appear in anything public: two of
#: the sample county, one of the other (450102198001010015, ... in Guangxi).
CANARY_NAMES = ["金丝雀甲", "欧阳雀鸣", "司马雀飞"]
CANARY_IDS = [with_check_digit(COUNTY_PREFIX + "19800101001"),
              with_check_digit(COUNTY_PREFIX + "19750312002"),
              with_check_digit(OTHER_PREFIX + "19901212003")]


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
