"""The cells of a region's statistics: what is counted, where it is published, how cells relate.

Every region's rollup is one vector of counts laid out as below, the same for all five levels,
so that a region's vector is the sum of its children's vectors. Most cells count households;
``people`` cells count the people of a household cell and are shown or hidden with it.

A cell is *published* at some levels; elsewhere it is kept only so that the level above can be
summed, or because an attacker could work it out from published cells (the *derived* cells:
``exs`` = ``reg`` − ``poor`` and the like). Derived cells are never shown, but disclosure control
must stop them from being recovered when they are small (see ``disclosure.py``).

``RELATIONS`` lists the identities between cells of one region that anyone can use: two sides
that count the same households (``left`` sums = ``right`` sums).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from sunshine.stats.vocab import CAUSES, LAST_YEAR, MEASURES, SIZE_BANDS, YEARS

ALL_LEVELS = frozenset({1, 2, 3, 4, 5})
UP_TO_TOWN = frozenset({1, 2, 3, 4})
NOWHERE: frozenset[int] = frozenset()

#: Effect analysis groups: everybody, each main cause, each measure.
EFFECT_GROUPS: tuple[tuple[str, int], ...] = (
    (("all", 0),) + tuple(("cause", c) for c in range(1, len(CAUSES) + 1))
    + tuple(("measure", m) for m in range(len(MEASURES))))
EFFECT_METRICS = ("base", "x1", "x2", "x3", "xever", "rb")
#: Households need this many years after registration to count in the effect analysis.
EFFECT_FOLLOW_UP = 3
EFFECT_LAST_COHORT = LAST_YEAR - EFFECT_FOLLOW_UP


@dataclass(frozen=True)
class CellSpec:
    key: tuple[object, ...]
    levels: frozenset[int]  # where it is published
    people: bool = False  # a count of people, shown with ``follows``
    follows: tuple[object, ...] | None = None
    derived: tuple[tuple[int, tuple[object, ...]], ...] = ()  # (sign, key) terms, if derived
    #: How much hiding it costs readers: complements are chosen cheapest first, so that totals
    #: and the yearly stocks stay visible and flows or breakdown cells are hidden instead.
    cost: int = 1


@dataclass
class Layout:
    """The cells of one kind of statistics and their identities. Disclosure control works on
    any layout (the household register's, the complaint cases'); ``name`` keys its caches."""

    name: str = "households"
    cells: list[CellSpec] = field(default_factory=list)
    index: dict[tuple[object, ...], int] = field(default_factory=dict)
    relations: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    def add(self, spec: CellSpec) -> None:
        self.index[spec.key] = len(self.cells)
        self.cells.append(spec)

    def __call__(self, *key: object) -> int:
        return self.index[key]

    def get(self, *key: object) -> int | None:
        return self.index.get(key)

    def relate(self, left: Sequence[tuple[object, ...]],
               right: Sequence[tuple[object, ...]]) -> None:
        """Record that the households counted on the left are those counted on the right.

        Cells that do not exist (structural zeros, such as exits in the first year) drop out.
        """
        lhs = tuple(self.index[k] for k in left if k in self.index)
        rhs = tuple(self.index[k] for k in right if k in self.index)
        if lhs or rhs:
            self.relations.append((lhs, rhs))

    @property
    def size(self) -> int:
        return len(self.cells)

    def published(self, level: int) -> list[int]:
        return [i for i, c in enumerate(self.cells) if level in c.levels]

    def household_cells(self) -> list[int]:
        return [i for i, c in enumerate(self.cells) if not c.people]


def _build() -> Layout:
    lay = Layout()
    first_exit = YEARS[1]  # nobody exits in the year they are registered
    first_return = YEARS[2]
    for y in YEARS:
        lay.add(CellSpec(("reg", y), ALL_LEVELS, cost=3))
        lay.add(CellSpec(("reg_p", y), ALL_LEVELS, people=True, follows=("reg", y)))
        lay.add(CellSpec(("poor", y), ALL_LEVELS, cost=3))
        lay.add(CellSpec(("poor_p", y), ALL_LEVELS, people=True, follows=("poor", y)))
        lay.add(CellSpec(("ent", y), UP_TO_TOWN))
        if y >= first_exit:
            lay.add(CellSpec(("exit", y), ALL_LEVELS, cost=2))
            exs_levels = ALL_LEVELS if y == LAST_YEAR else NOWHERE
            lay.add(CellSpec(("exs", y), exs_levels, derived=((1, ("reg", y)), (-1, ("poor", y))),
                             cost=3))
        if y >= first_return:
            lay.add(CellSpec(("ret", y), UP_TO_TOWN))
        lay.add(CellSpec(("rem", y), UP_TO_TOWN))
    lay.add(CellSpec(("ret_all",), ALL_LEVELS))
    for c in range(1, len(CAUSES) + 1):
        lay.add(CellSpec(("reg_c", c), ALL_LEVELS))
        for y in YEARS:
            lay.add(CellSpec(("poor_cy", c, y), UP_TO_TOWN))
    for s in range(len(SIZE_BANDS)):
        lay.add(CellSpec(("reg_s", s), ALL_LEVELS))
        lay.add(CellSpec(("reg_sp", s), ALL_LEVELS, people=True, follows=("reg_s", s)))
        lay.add(CellSpec(("poor_s", s), UP_TO_TOWN))
    for m in range(len(MEASURES)):
        lay.add(CellSpec(("helped", m), ALL_LEVELS))
        lay.add(CellSpec(("noth", m), NOWHERE,
                         derived=((1, ("reg", LAST_YEAR)), (-1, ("helped", m)))))
    for g in EFFECT_GROUPS:
        for metric in EFFECT_METRICS:
            cost = 3 if metric in ("base", "xever") and g[0] == "all" else \
                2 if metric in ("base", "xever") else 1
            lay.add(CellSpec(("eff", metric, *g), UP_TO_TOWN, cost=cost))
        for name, big, small in (("d12", "x2", "x1"), ("d23", "x3", "x2"), ("d3e", "xever", "x3"),
                                 ("never", "base", "xever"), ("nrb", "xever", "rb")):
            lay.add(CellSpec(("eff", name, *g), NOWHERE,
                             derived=((1, ("eff", big, *g)), (-1, ("eff", small, *g)))))
    _relations(lay)
    return lay


def _effect(metric: str, group: tuple[str, int]) -> tuple[object, ...]:
    return ("eff", metric, *group)


def _relations(lay: Layout) -> None:
    last = LAST_YEAR
    for i, y in enumerate(YEARS):
        # Everybody on the register is in poverty or has exited.
        lay.relate([("reg", y)], [("poor", y), ("exs", y)])
        # Year to year: who was there plus who came equals who is there plus who left.
        before = [("reg", YEARS[i - 1])] if i else []
        lay.relate(before + [("ent", y)], [("reg", y), ("rem", y)])
        before = [("poor", YEARS[i - 1])] if i else []
        lay.relate(before + [("ent", y), ("ret", y)], [("poor", y), ("exit", y), ("rem", y)])
        lay.relate([("poor", y)], [("poor_cy", c, y) for c in range(1, len(CAUSES) + 1)])
    lay.relate([("ret_all",)], [("ret", y) for y in YEARS])
    lay.relate([("reg", last)], [("reg_c", c) for c in range(1, len(CAUSES) + 1)])
    lay.relate([("reg", last)], [("reg_s", s) for s in range(len(SIZE_BANDS))])
    lay.relate([("poor", last)], [("poor_s", s) for s in range(len(SIZE_BANDS))])
    for m in range(len(MEASURES)):
        lay.relate([("reg", last)], [("helped", m), ("noth", m)])
    for g in EFFECT_GROUPS:
        lay.relate([_effect("x2", g)], [_effect("x1", g), _effect("d12", g)])
        lay.relate([_effect("x3", g)], [_effect("x2", g), _effect("d23", g)])
        lay.relate([_effect("xever", g)], [_effect("x3", g), _effect("d3e", g)])
        lay.relate([_effect("base", g)], [_effect("xever", g), _effect("never", g)])
        lay.relate([_effect("xever", g)], [_effect("rb", g), _effect("nrb", g)])
    # The main causes split everybody in the effect analysis.
    for metric in EFFECT_METRICS + ("d12", "d23", "d3e", "never", "nrb"):
        lay.relate([("eff", metric, "all", 0)],
                   [("eff", metric, "cause", c) for c in range(1, len(CAUSES) + 1)])


@cache
def layout() -> Layout:
    return _build()
