"""A synthetic register: made-up households and members with plausible distributions.

Used by the demo (labelled synthetic everywhere) and by the benchmark. Deterministic for a
given random generator. The shares are rough figures of the period, not real data: most
households registered in 2014, exits peaking in 2016–2019, a few returns, ~1.5 % removed as
wrongly registered, ~4 % still in poverty at the end of 2020; the main cause and the measures
change how fast a household exits, so that the effect analysis has something to show.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sunshine.stats import members, vocab

ENTRY_YEARS = ((2014, 80), (2015, 8), (2016, 6), (2017, 4), (2018, 1.5), (2019, 0.5))
CAUSE_WEIGHTS = {"因病": 40, "因残": 7, "因学": 6, "因灾": 3, "缺土地": 2, "缺水": 1,
                 "缺技术": 12, "缺劳力": 8, "缺资金": 12, "交通条件落后": 4, "自身发展动力不足": 5}
SIZE_WEIGHTS = ((1, 12), (2, 18), (3, 22), (4, 23), (5, 15), (6, 7), (7, 3))
#: Measures that fit each cause (others are added at random).
CAUSE_MEASURES = {
    "因病": ["健康扶贫", "社保兜底"], "因残": ["社保兜底", "公益岗位"], "因学": ["教育扶贫"],
    "因灾": ["危房改造", "产业扶持"], "缺土地": ["易地扶贫搬迁", "转移就业"],
    "缺水": ["易地扶贫搬迁"], "缺技术": ["转移就业", "产业扶持"],
    "缺劳力": ["公益岗位", "社保兜底"],
    "缺资金": ["金融扶贫", "产业扶持"], "交通条件落后": ["易地扶贫搬迁", "产业扶持"],
    "自身发展动力不足": ["公益岗位", "转移就业"],
}
#: Yearly chance of exiting, by main cause, then multiplied by the measures' effect.
CAUSE_EXIT = {"因病": .22, "因残": .2, "因学": .3, "因灾": .34, "缺土地": .3, "缺水": .3,
              "缺技术": .33, "缺劳力": .24, "缺资金": .32, "交通条件落后": .3,
              "自身发展动力不足": .22}
MEASURE_EFFECT = {"产业扶持": 1.25, "转移就业": 1.3, "易地扶贫搬迁": 1.15, "教育扶贫": 1.05,
                  "健康扶贫": 1.1, "危房改造": 1.05, "金融扶贫": 1.15, "生态补偿": 1.05,
                  "社保兜底": 1.2, "公益岗位": 1.15}
#: The campaign speeds up exits in its later years.
YEAR_PUSH = {2015: .55, 2016: .9, 2017: 1.1, 2018: 1.35, 2019: 1.6, 2020: 2.2}

SURNAMES = list("李黄韦陈覃刘梁莫蒙罗农卢潘杨廖蓝吴周谭")
GIVEN = list("春秋冬明华丽芳美英兰桂秀玉金银福贵德才文武建国强军平安永志红海燕")
UNITS = ["县扶贫办", "县农业农村局", "县教育局", "县卫健局", "县人社局", "乡镇人民政府",
         "县住建局", "县林业局", "县交通运输局", "县供电公司"]


@dataclass
class SyntheticHousehold:
    archive: int
    village: str
    cause: str
    other_causes: list[str]
    size: int
    events: tuple[int, int, int, int, int]
    measures: dict[str, list[int]]
    income: list[tuple[int, int]]
    cadre: str
    cadre_unit: str
    members: list[tuple[str, str, str, str, str, str]]  # name, id, relation, health, school, labour

    def db_row(self) -> tuple[object, ...]:
        bits = 0
        for name in self.measures:
            bits |= 1 << vocab.MEASURE_BITS[name]
        other = 0
        for name in self.other_causes:
            other |= 1 << (vocab.CAUSE_CODES[name] - 1)
        return (self.archive, self.village, vocab.CAUSE_CODES[self.cause], other, self.size,
                *self.events, bits, self.measure_text(), self.income_text(), self.cadre,
                self.cadre_unit, True)

    def member_rows(self, digest: Callable[[str], int]) -> tuple[tuple[int, int, str],
                                                                list[tuple[int, int]]]:
        """Its ``household_members`` row and ``member_id`` rows, as the importer writes them."""
        return members.pack_household(self.archive, self.members, digest)

    def measure_text(self) -> str:
        return ";".join(f"{m}:{'、'.join(map(str, ys))}" for m, ys in self.measures.items())

    def income_text(self) -> str:
        return ";".join(f"{y}:{v}" for y, v in self.income)

    def csv_row(self) -> list[str]:
        e = self.events
        return [f"{self.archive:016d}", self.village, self.cause, "、".join(self.other_causes),
                str(self.size), str(e[0]), *(str(y) if y else "" for y in e[1:]),
                self.measure_text(), self.income_text(), self.cadre, self.cadre_unit]


HOUSEHOLD_CSV_HEADER = ["archive_no", "village_code", "main_cause", "other_causes", "size",
                        "entered", "exited", "returned", "reexited", "removed", "measures",
                        "income", "cadre", "cadre_unit"]
MEMBER_CSV_HEADER = ["archive_no", "name", "id_number", "relation", "health", "schooling",
                     "labour"]


T = TypeVar("T")


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for value, w in weighted:
        x -= w
        if x < 0:
            return value
    return weighted[-1][0]


_CAUSES = tuple(CAUSE_WEIGHTS.items())


def id_number(rng: random.Random, county: str, year: int, male: bool, used: set[str]) -> str:
    """A valid 18-digit ID number issued in ``county``, unique within ``used``."""
    while True:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        serial = rng.randrange(0, 1000, 1) // 2 * 2 + (1 if male else 0)
        body = f"{county[:6]}{year:04d}{month:02d}{day:02d}{serial % 1000:03d}"
        # GB 11643 check digit: weights 2**(17-i) mod 11, i.e. the digits read in base 13.
        number = body + "10X98765432"[2 * int(body, 13) % 11]
        if number not in used:
            used.add(number)
            return number


def _name(rng: random.Random, surname: str) -> str:
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _members(rng: random.Random, county: str, size: int, cause: str,
             used: set[str]) -> list[tuple[str, str, str, str, str, str]]:
    surname = rng.choice(SURNAMES)
    head_year = rng.randint(1945, 1988)
    head_male = rng.random() < .85
    people: list[tuple[str, int, bool]] = [("户主", head_year, head_male)]
    if size >= 2:
        people.append(("配偶", head_year + rng.randint(-4, 4), not head_male))
    for _ in range(size - len(people)):
        if head_year < 1960 and rng.random() < .5:
            male = rng.random() < .5
            people.append(("之孙子" if male else "之孙女", rng.randint(2000, 2016), male))
        elif head_year > 1975 and rng.random() < .25:
            male = rng.random() < .4
            people.append(("之父" if male else "之母", head_year - rng.randint(22, 32), male))
        else:
            male = rng.random() < .52
            people.append(("之子" if male else "之女", head_year + rng.randint(20, 32), male))
    out = []
    for i, (relation, year, male) in enumerate(people):
        year = min(year, 2018)
        age = 2020 - year
        health = "健康"
        if i == 0 and cause == "因病":
            health = rng.choice(("长期慢性病", "患有大病"))
        elif i == 0 and cause == "因残":
            health = "残疾"
        elif age > 60 and rng.random() < .3:
            health = "长期慢性病"
        if age < 6:
            school, labour = "学龄前儿童", "无劳动力"
        elif age < 19:
            school, labour = "在校生", "无劳动力"
        else:
            school = rng.choice(("小学", "初中", "初中", "高中", "文盲或半文盲"))
            if age > 65 or health in ("患有大病", "残疾"):
                labour = rng.choice(("丧失劳动力", "弱劳动力或半劳动力"))
            else:
                labour = rng.choice(("普通劳动力", "普通劳动力", "技能劳动力"))
        given_surname = surname if relation not in ("配偶", "之母") else rng.choice(SURNAMES)
        out.append((_name(rng, given_surname), id_number(rng, county, year, male, used),
                    relation, health, school, labour))
    return out


def household(rng: random.Random, village: str, serial: int, used: set[str]) -> SyntheticHousehold:
    """One made-up household in ``village`` with archive serial ``serial`` (1–9999)."""
    cause = _pick(rng, _CAUSES)
    size = _pick(rng, SIZE_WEIGHTS)
    entered = _pick(rng, ENTRY_YEARS)
    others = [c for c in vocab.CAUSES if c != cause and rng.random() < .08][:2]
    chosen = list(dict.fromkeys(CAUSE_MEASURES[cause][: rng.randint(1, 2)]))
    for m in vocab.MEASURES:
        if m not in chosen and rng.random() < .12:
            chosen.append(m)
    chance = CAUSE_EXIT[cause]
    for m in chosen:
        chance *= MEASURE_EFFECT[m]
    removed = exited = returned = reexited = 0
    if entered <= 2016 and rng.random() < .015:
        removed = min(entered + rng.randint(0, 1), 2016)
    else:
        for year in range(entered + 1, vocab.LAST_YEAR + 1):
            if rng.random() < chance * YEAR_PUSH[year]:
                exited = year
                break
        if exited and exited < vocab.LAST_YEAR and rng.random() < .025:
            returned = min(exited + rng.randint(1, 2), vocab.LAST_YEAR)
            if returned < vocab.LAST_YEAR and rng.random() < .6:
                reexited = returned + 1
    end = (reexited or exited or vocab.LAST_YEAR) if not removed else removed
    measures = {}
    for m in chosen:
        first = rng.randint(entered, max(entered, min(end, vocab.LAST_YEAR)))
        years = sorted({first, min(first + rng.randint(0, 2), vocab.LAST_YEAR)})
        measures[m] = years
    income = []
    value = rng.randint(1600, 2700)
    for year in range(entered, (removed or vocab.LAST_YEAR) + 1):
        income.append((year, value))
        value = int(value * (1.12 + rng.random() * .25))
    county = village[:6]
    return SyntheticHousehold(
        archive=int(village) * 10_000 + serial, village=village, cause=cause,
        other_causes=others, size=size, events=(entered, exited, returned, reexited, removed),
        measures=measures, income=income,
        cadre=_name(rng, rng.choice(SURNAMES)), cadre_unit=rng.choice(UNITS),
        members=_members(rng, county, size, cause, used))


def register(rng: random.Random, villages: list[str], households: int,
             weights: list[float] | None = None) -> Iterator[SyntheticHousehold]:
    """``households`` households spread over ``villages`` (by ``weights``), county by county,
    in archive-number order."""
    if not villages or households <= 0:
        return
    weights = weights or [1.0] * len(villages)
    counts = dict.fromkeys(villages, 0)
    picks = rng.choices(villages, weights=weights, k=households)
    for v in picks:
        counts[v] += 1
    used: set[str] = set()
    county = ""
    for village in sorted(villages):
        if village[:6] != county:
            county, used = village[:6], set()
        for serial in range(1, min(counts[village], 9999) + 1):
            yield household(rng, village, serial, used)


def insert(households: list[SyntheticHousehold], digest: Callable[[str], int]) -> int:
    """Write households and their members with the bulk paths; returns how many members."""
    from sunshine.stats import bulk
    from sunshine.stats.importer import HOUSEHOLD_TABLE_COLUMNS, ID_COLUMNS, LIST_COLUMNS

    lists, ids = [], []
    for h in households:
        row, people = h.member_rows(digest)
        lists.append(row)
        ids.extend(people)
    bulk.insert_rows("household", HOUSEHOLD_TABLE_COLUMNS, [h.db_row() for h in households])
    bulk.insert_rows("household_members", LIST_COLUMNS, [row for row in lists if row[1]])
    bulk.insert_rows("member_id", ID_COLUMNS, sorted(ids))
    return len(ids)
