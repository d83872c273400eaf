"""An attacker for the tests: everything published, every identity anyone knows, and interval
reasoning until nothing changes. Independent of the engine in ``disclosure.py``."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from sunshine.stats import disclosure, vocab
from sunshine.stats.layout import EFFECT_LAST_COHORT, Layout, layout
from sunshine.stats.tree import Tree, protect, sum_up
from sunshine.stats.vectors import SERIAL, WORK, accumulate, fill_derived, finish
from tests.conftest import SAMPLE

INF = 10**9


@dataclass
class Household:
    village: str
    cause: int
    size: int
    measures: int
    events: tuple[int, int, int, int, int]


def village_vectors(households: Sequence[Household]) -> dict[str, array]:
    works: dict[str, list[int]] = {}
    for h in households:
        work = works.setdefault(h.village, [0] * WORK.size)
        accumulate(work, h.cause, h.size, h.measures, *h.events)
    return {code: finish(work) for code, work in works.items()}


def expected_vector(households: Sequence[Household]) -> array:
    """A village's vector counted the slow, obvious way (to check ``accumulate``)."""
    lay = layout()
    vector = array("i", bytes(4 * lay.size))
    last = vocab.LAST_YEAR
    for h in households:
        for y in vocab.YEARS:
            status = vocab.status_in(y, *h.events)
            if status is None or status == vocab.REMOVED:
                continue
            vector[lay("reg", y)] += 1
            vector[lay("reg_p", y)] += h.size
            if status in vocab.IN_POVERTY:
                vector[lay("poor", y)] += 1
                vector[lay("poor_p", y)] += h.size
                vector[lay("poor_cy", h.cause, y)] += 1
        entered, exited, returned, reexited, removed = h.events
        vector[lay("ent", entered)] += 1
        for year in (exited, reexited):
            if year:
                vector[lay("exit", year)] += 1
        if returned:
            vector[lay("ret", returned)] += 1
            vector[lay("ret_all")] += 1
        if removed:
            vector[lay("rem", removed)] += 1
        bits = [m for m in range(len(vocab.MEASURES)) if h.measures >> m & 1]
        final = vocab.status_in(last, *h.events)
        if final not in (None, vocab.REMOVED):
            band = vocab.size_band(h.size)
            vector[lay("reg_c", h.cause)] += 1
            vector[lay("reg_s", band)] += 1
            vector[lay("reg_sp", band)] += h.size
            if final in vocab.IN_POVERTY:
                vector[lay("poor_s", band)] += 1
            for m in bits:
                vector[lay("helped", m)] += 1
        if not removed and entered <= EFFECT_LAST_COHORT:
            for g in [("all", 0), ("cause", h.cause)] + [("measure", m) for m in bits]:
                vector[lay("eff", "base", *g)] += 1
                if exited:
                    for metric, within in (("x1", 1), ("x2", 2), ("x3", 3)):
                        if exited - entered <= within:
                            vector[lay("eff", metric, *g)] += 1
                    vector[lay("eff", "xever", *g)] += 1
                    if returned:
                        vector[lay("eff", "rb", *g)] += 1
    fill_derived(vector)
    return vector


def make_tree(villages_per_town: int = 2, towns: int = 2, counties: int = 2,
              cities: int = 2) -> Tree:
    province, head = SAMPLE["province"], SAMPLE["province"][:2]
    level = {province: 1}
    parent: dict[str, str | None] = {province: None}
    children: dict[str, list[str]] = {}

    def add(code: str, lvl: int, up: str) -> None:
        level[code], parent[code] = lvl, up
        children.setdefault(up, []).append(code)

    for c in range(1, cities + 1):
        city = f"{head}{c:02d}00000000"
        add(city, 2, province)
        for d in range(1, counties + 1):
            county = f"{head}{c:02d}{d:02d}000000"
            add(county, 3, city)
            for t in range(1, towns + 1):
                town = f"{county[:6]}{100 + t:03d}000"
                add(town, 4, county)
                for v in range(1, villages_per_town + 1):
                    add(f"{town[:9]}{200 + v:03d}", 5, town)
    return Tree(level, parent, children, province)


def build(tree: Tree, households: Sequence[Household], k: int) -> tuple[dict[str, array],
                                                                        dict[str, bytearray]]:
    size = layout().size
    vectors = village_vectors(households)
    for code, lvl in tree.level.items():
        if lvl == 5 and code not in vectors:
            vectors[code] = array("i", bytes(4 * size))
    sum_up(tree, vectors)
    return vectors, protect(tree, vectors, k)


def _constraints(tree: Tree, lay: Layout,
                 ) -> list[tuple[list[tuple[str, int]], list[tuple[str, int]]]]:
    out = []
    for code in tree.level:
        for lhs, rhs in lay.relations:
            out.append(([(code, i) for i in lhs], [(code, i) for i in rhs]))
    household_cells = lay.household_cells()
    for code, kids in tree.children.items():
        for i in household_cells:
            out.append(([(code, i)], [(kid, i) for kid in kids]))
    return out


@dataclass
class Finding:
    kind: str
    cell: tuple[str, object]
    detail: str


def attack(tree: Tree, vectors: dict[str, array], status: dict[str, bytearray],
           k: int, lay: Layout | None = None) -> list[Finding]:
    """What the published figures give away; an empty list when nothing does. ``lay``: the
    cells and identities (the household register's by default)."""
    lay = lay or layout()
    findings: list[Finding] = []
    lo: dict[tuple[str, int], int] = {}
    hi: dict[tuple[str, int], int] = {}
    for code in tree.level:
        st, vec = status[code], vectors[code]
        for i in lay.household_cells():
            s = st[i]
            if s == disclosure.PUBLISHED:
                if vec[i] < k:
                    findings.append(Finding("published small", (code, lay.cells[i].key),
                                            str(vec[i])))
                lo[(code, i)] = hi[(code, i)] = vec[i]
            elif s == disclosure.SMALL:
                lo[(code, i)], hi[(code, i)] = 0, k - 1
            elif s == disclosure.COMPLEMENT:
                lo[(code, i)], hi[(code, i)] = k, INF
            else:
                lo[(code, i)], hi[(code, i)] = 0, INF
        for i, spec in enumerate(lay.cells):
            if spec.people and st[i] == disclosure.PUBLISHED:
                follows = lay.index[spec.follows]  # type: ignore[index]
                if st[follows] != disclosure.PUBLISHED:
                    findings.append(Finding("people without households",
                                            (code, spec.key), ""))
    constraints = _constraints(tree, lay)
    changed = True
    rounds = 0
    while changed and rounds < 60:
        changed = False
        rounds += 1
        for lhs, rhs in constraints:
            for side, other in ((lhs, rhs), (rhs, lhs)):
                lo_side = sum(lo[c] for c in side)
                hi_side = sum(hi[c] for c in side)
                lo_other = sum(lo[c] for c in other)
                hi_other = sum(hi[c] for c in other)
                for c in side:
                    new_lo = max(lo[c], lo_other - (hi_side - hi[c]))
                    new_hi = min(hi[c], hi_other - (lo_side - lo[c]))
                    if new_lo > lo[c] or new_hi < hi[c]:
                        lo[c], hi[c] = new_lo, min(new_hi, INF)
                        changed = True
    for (code, i), low in lo.items():
        value = vectors[code][i]
        assert low <= value <= hi[(code, i)], ("auditor inconsistent", code, lay.cells[i].key)
        if status[code][i] != disclosure.PUBLISHED and value < k and low == hi[(code, i)]:
            findings.append(Finding("recovered", (code, lay.cells[i].key), str(value)))
    for lhs, rhs in constraints:
        open_l = [c for c in lhs if lo[c] < hi[c]]
        open_r = [c for c in rhs if lo[c] < hi[c]]
        if bool(open_l) != bool(open_r):
            residual = sum(vectors[code][i] for code, i in open_l or open_r)
            if 0 < residual < k:
                code, i = (open_l or open_r)[0]
                findings.append(Finding("differ by few", (code, lay.cells[i].key),
                                        f"{residual} households"))
    return findings


__all__ = ["SERIAL", "Household", "attack", "build", "make_tree"]
