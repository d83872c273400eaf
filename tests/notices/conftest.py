"""Helpers for the notices tests: a frozen clock, a small register with known names (and
canaries that must never come out in full), users, and notices drafted from the register."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from sunshine.accounts.models import Role, User
from sunshine.clock import day_start
from sunshine.notices import drafting, periods, services
from sunshine.notices.models import Notice, NoticeKind
from sunshine.notices.views import FORM_SALT
from sunshine.stats import synthetic
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX, SAMPLE, started_token
from tests.factories import make_user
from tests.stats.conftest import insert_register

VILLAGE = SAMPLE["village"]
VILLAGE_2 = f"{COUNTY_PREFIX}101202"
TOWN_VILLAGE = f"{COUNTY_PREFIX}102201"
OTHER_VILLAGE = f"{OTHER_PREFIX}101201"
#: Monday 2 March 2026, 09:00 in China: the first day of the test notices.
START = date(2026, 3, 2)
MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

#: Heads of households in the first village, newly identified in 2020: every masking case.
NEW_HEADS = ["张三", "欧阳小华", "金丝雀甲", "张", "John Smith", "司马雀飞", "李明"]
#: Spouses: full names that must never come out either.
SPOUSES = ["王秀英", "黄志强", "覃海燕", "梁国庆", "韦小红", "蒙丽华", "农建国"]


class Clock:
    """periods.now() replaced by a settable instant (UTC)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def set(self, moment: datetime) -> None:
        self.now = moment

    def day(self, n: int, hour: int = 10) -> datetime:
        """Hour (China time) of day ``n`` of the period (day 1 is the start day)."""
        return day_start(START + timedelta(days=n - 1)) + timedelta(hours=hour)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(MORNING)
    monkeypatch.setattr(periods, "now", lambda: frozen.now)
    return frozen


def household(rng: random.Random, village: str, serial: int, head: str, spouse: str | None,
              used: set[str], entered: int = 2020, exited: int = 0, returned: int = 0,
              cause: str = "因病", size: int = 3) -> synthetic.SyntheticHousehold:
    """One household with a known head (and spouse) and valid ID numbers."""
    county = village[:6]
    members = [(head, synthetic.id_number(rng, county, 1970, True, used), "户主", "患有大病",
                "初中", "弱劳动力或半劳动力")]
    if spouse:
        members.append((spouse, synthetic.id_number(rng, county, 1972, False, used), "配偶",
                        "健康", "小学", "普通劳动力"))
    return synthetic.SyntheticHousehold(
        archive=int(village) * 10_000 + serial, village=village, cause=cause, other_causes=[],
        size=size, events=(entered, exited, returned, 0, 0), measures={"健康扶贫": [entered]},
        income=[(entered, 2300)], cadre="帮扶干部", cadre_unit="县扶贫办", members=members)


@pytest.fixture
def register(app: Flask, regions: dict[str, str]) -> list[synthetic.SyntheticHousehold]:
    """New households of 2020 in VILLAGE (the heads above), exits of 2019 in VILLAGE_2, a
    return of 2019 in TOWN_VILLAGE, and new households of the other county."""
    rng = random.Random(5)
    used: set[str] = set()
    rows = [household(rng, VILLAGE, n + 1, head, SPOUSES[n], used, size=n % 5 + 1)
            for n, head in enumerate(NEW_HEADS)]
    rows += [household(rng, VILLAGE, 50, "赵老户", None, used, entered=2014)]
    rows += [household(rng, VILLAGE_2, n + 1, f"韦退{n}号", None, used, entered=2015,
                       exited=2019, cause="缺技术") for n in range(3)]
    rows += [household(rng, TOWN_VILLAGE, 1, "蓝返贫", None, used, entered=2015, exited=2017,
                       returned=2019, cause="因灾")]
    used = set()
    rows += [household(rng, OTHER_VILLAGE, n + 1, f"外县{n}户", None, used) for n in range(2)]
    insert_register(rows)
    return rows


@pytest.fixture
def users(regions: dict[str, str]) -> dict[str, User]:
    return {
        "county": make_user("staff-county", Role.STAFF, regions["county"]),
        "other": make_user("staff-other", Role.STAFF, regions["other_county"]),
        "town": make_user("staff-town", Role.STAFF, regions["town"]),
        "editor": make_user("editor", Role.EDITOR, regions["province"]),
        "admin": make_user("root-admin", Role.ADMIN, None),
    }


def draft(user: User, kind: NoticeKind = NoticeKind.IDENTIFICATION, region: str = VILLAGE,
          start: date = START, year: int | None = 2020, title: str = "新识别贫困户公示",
          body: str = "经民主评议，拟识别以下农户为贫困户，现予公示。", **extra: Any) -> Notice:
    return services.create_draft(user, services.DraftFields(
        kind=kind.value, region_code=region, title=title, body=body, start_on=start,
        register_year=year, **extra))


def filled(user: User, **kwargs: Any) -> Notice:
    """A draft with every fitting household of its region on the list."""
    notice = draft(user, **kwargs)
    found, _ = drafting.candidates(user, notice)
    drafting.add_households(user, notice, [c.household_id for c in found])
    return notice


def published(user: User, **kwargs: Any) -> Notice:
    notice = filled(user, **kwargs)
    return services.publish(user, notice)


def objection_data(app: Flask, **overrides: Any) -> dict[str, Any]:
    data = {"entry": "", "body": "这户家里在县城有房有车，不符合条件。", "identity": "anonymous",
            "started": started_token(app, FORM_SALT)}
    data.update(overrides)
    return data
