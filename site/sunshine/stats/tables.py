"""The tables of a region's statistics (headline, trend, causes, measures, sizes, effect
analysis, child regions, counties, projection), built from a ``services.RegionPage``: the page,
the CSV and the JSON all show these same tables. Every number passes through
``disclosure.figure`` (via ``Node.fig``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sunshine.regions import codes
from sunshine.stats import disclosure, vocab
from sunshine.stats.disclosure import Figure
from sunshine.stats.layout import EFFECT_FOLLOW_UP, EFFECT_LAST_COHORT, layout
from sunshine.stats.services import Cell, Node, RegionPage, Row, Table

LAST = vocab.LAST_YEAR


def _fig(node: Node, *key: object) -> Cell:
    figure = node.fig(*key)
    return Cell(figure=figure, number=figure.value)


def _share(num: Figure, den: Figure) -> Cell:
    value = disclosure.share(num, den)
    return Cell(text=disclosure.ratio_text(value),
                number=None if value is None else round(value, 1))


def incidence(node: Node, year: int = LAST) -> Cell:
    """贫困发生率: people in poverty over the rural population, when both are known."""
    people = node.fig("poor_p", year)
    if node.population and people.value is not None:
        value = 100.0 * people.value / node.population
        return Cell(text=f"{value:.2f}%", number=round(value, 2))
    return Cell(text="—")


HEADLINE = [
    ("reg", "建档立卡户数"), ("reg_p", "建档立卡人数"), ("poor", "贫困户数"),
    ("poor_p", "贫困人口"), ("exs", "已脱贫户数"), ("ret_all", "返贫户数（累计）"),
]


def headline(page: RegionPage) -> list[tuple[str, str, Cell]]:
    node = page.node
    items = []
    for key, label in HEADLINE:
        cell = _fig(node, key) if key == "ret_all" else _fig(node, key, LAST)
        items.append((key, label, cell))
    items.append(("incidence", f"贫困发生率（{LAST}年）", incidence(node)))
    return items


def trend_table(page: RegionPage) -> Table:
    node = page.node
    lay = layout()
    columns = [("year", "年度"), ("reg", "在册户数"), ("poor", "贫困户数"), ("poor_p", "贫困人口"),
               ("ent", "新识别户数"), ("exit", "脱贫户数"), ("ret", "返贫户数"),
               ("rem", "剔除户数")]
    visible = [(k, label) for k, label in columns[1:]
               if any(node.level in lay.cells[i].levels for key, i in lay.index.items()
                      if key[0] == k)]
    table = Table("trend", "历年变化", [columns[0], *visible],
                  note="在册、贫困为年末数；新识别、脱贫、返贫、剔除为当年发生数。")
    for y in vocab.YEARS:
        cells = []
        for key, _ in visible:
            cells.append(_fig(node, key, y) if lay.get(key, y) is not None else Cell(text="—"))
        table.rows.append(Row(str(y), f"{y}年", cells))
    return table


def cause_table(page: RegionPage) -> Table:
    node = page.node
    town_or_above = node.level <= 4
    columns = [("cause", "主要致贫原因"), ("reg", "建档立卡户数"), ("share", "占比")]
    if town_or_above:
        columns.append(("poor", f"{LAST}年末贫困户数"))
    table = Table("causes", f"按主要致贫原因（{LAST}年末在册户）", columns)
    total = node.fig("reg", LAST)
    for c, label in enumerate(vocab.CAUSES, start=1):
        reg = node.fig("reg_c", c)
        cells = [Cell(figure=reg, number=reg.value), _share(reg, total)]
        if town_or_above:
            cells.append(_fig(node, "poor_cy", c, LAST))
        table.rows.append(Row(str(c), label, cells))
    return table


def cause_year_table(page: RegionPage) -> Table | None:
    """Households in poverty by main cause and year: towns and above only (village cells would
    almost all be hidden)."""
    node = page.node
    if node.level > 4:
        return None
    columns = [("cause", "主要致贫原因")] + [(str(y), f"{y}年") for y in vocab.YEARS]
    table = Table("cause_year", "各年末贫困户数，按主要致贫原因", columns)
    for c, label in enumerate(vocab.CAUSES, start=1):
        table.rows.append(Row(str(c), label, [_fig(node, "poor_cy", c, y) for y in vocab.YEARS]))
    return table


def measure_table(page: RegionPage) -> Table:
    node = page.node
    total = node.fig("reg", LAST)
    table = Table("measures", f"按帮扶措施（{LAST}年末在册户中享受过该措施的户数）",
                  [("measure", "帮扶措施"), ("helped", "户数"), ("share", "占在册户比例")],
                  note="一户可享受多项措施，各项相加会多于总户数。")
    for m, label in enumerate(vocab.MEASURES):
        helped = node.fig("helped", m)
        table.rows.append(Row(str(m), label, [Cell(figure=helped, number=helped.value),
                                              _share(helped, total)]))
    return table


def size_table(page: RegionPage) -> Table:
    node = page.node
    columns = [("size", "家庭人口"), ("reg", "在册户数"), ("people", "人数")]
    if node.level <= 4:
        columns.append(("poor", f"{LAST}年末贫困户数"))
    table = Table("sizes", f"按家庭人口（{LAST}年末在册户）", columns)
    for s, label in enumerate(vocab.SIZE_BANDS):
        cells = [_fig(node, "reg_s", s), _fig(node, "reg_sp", s)]
        if node.level <= 4:
            cells.append(_fig(node, "poor_s", s))
        table.rows.append(Row(str(s), label, cells))
    return table


def effect_table(page: RegionPage, kind: str) -> Table | None:
    """帮扶成效 by main cause (``kind`` = "cause") or measure: shares that exited within one,
    two and three years of registration, and that returned after exiting."""
    node = page.node
    if node.level > 4:
        return None
    title = "按主要致贫原因" if kind == "cause" else "按帮扶措施"
    table = Table(
        f"effect_{kind}", f"帮扶成效：{title}",
        [(kind, "主要致贫原因" if kind == "cause" else "帮扶措施"), ("base", "户数"),
         ("x1", "1年内脱贫"), ("x2", "2年内脱贫"), ("x3", "3年内脱贫"), ("xever", "已脱贫户数"),
         ("rb", "脱贫后返贫")],
        note=(f"{EFFECT_LAST_COHORT}年及以前识别、未被剔除的户"
              f"（识别后至少有 {EFFECT_FOLLOW_UP} 年可观察）。"
              "脱贫比例以户数为分母，返贫比例以已脱贫户数为分母。"))
    groups: list[tuple[str, int, str]] = [("all", 0, "全部")]
    if kind == "cause":
        groups += [("cause", c, label) for c, label in enumerate(vocab.CAUSES, start=1)]
    else:
        groups += [("measure", m, label) for m, label in enumerate(vocab.MEASURES)]
    for group, key, label in groups:
        base, x1, x2, x3, xever, rb = (node.fig("eff", metric, group, key)
                                       for metric in ("base", "x1", "x2", "x3", "xever", "rb"))
        table.rows.append(Row(f"{group}-{key}", label, [
            Cell(figure=base, number=base.value), _share(x1, base), _share(x2, base),
            _share(x3, base), Cell(figure=xever, number=xever.value), _share(rb, xever)]))
    return table


CHILD_COLUMNS = [("reg", "建档立卡户数"), ("reg_p", "人数"), ("poor", "贫困户数"),
                 ("exs", "已脱贫户数"), ("ret_all", "返贫户数"), ("incidence", "贫困发生率")]


def _child_cells(child: Node) -> list[Cell]:
    cells = []
    for key, _ in CHILD_COLUMNS:
        if key == "incidence":
            cells.append(incidence(child))
        elif key == "ret_all":
            cells.append(_fig(child, key))
        else:
            cells.append(_fig(child, key, LAST))
    return cells


def children_table(page: RegionPage, sort: str | None = None,
                   descending: bool = True) -> Table | None:
    if not page.children:
        return None
    level_name = codes.LEVEL_NAMES[page.node.level + 1]
    table = Table("children", f"下级区划（{level_name}级，{LAST}年末）",
                  [("region", "区划")] + CHILD_COLUMNS)
    for child in page.children:
        table.rows.append(Row(child.code, child.name, _child_cells(child), url=child.url))
    if sort in {k for k, _ in CHILD_COLUMNS}:
        i = table.column(sort)
        shown = [r for r in table.rows if r.cells[i].number is not None]
        hidden = [r for r in table.rows if r.cells[i].number is None]
        shown.sort(key=lambda r: (r.cells[i].number or 0, r.key), reverse=descending)
        table.rows = shown + hidden  # hidden figures last, in code order
    return table


def county_table(page: RegionPage) -> Table | None:
    """The counties of the map, with the figure the map shows."""
    if not page.counties:
        return None
    table = Table("counties", f"各县（市、区）建档立卡户数（{LAST}年末）",
                  [("county", "县（市、区）"), ("reg", "建档立卡户数"), ("poor", "贫困户数")])
    for county in page.counties:
        table.rows.append(Row(county.code, county.name,
                              [_fig(county, "reg", LAST), _fig(county, "poor", LAST)],
                              url=county.url))
    return table


@dataclass
class Projection:
    points: list[tuple[int, Figure]]
    method: str
    basis: list[tuple[int, int]]


def projection(page: RegionPage, horizon: int = 3) -> Projection | None:
    """Households still in poverty in the next ``horizon`` years, from published figures only
    (a hidden figure never feeds it): the average yearly rate of change over the last three
    published year-end counts, carried forward."""
    points = [(y, page.node.fig("poor", y).value) for y in vocab.YEARS]
    published = [(y, v) for y, v in points if v is not None]
    if len(published) < 3 or published[-1][0] != LAST:
        return None
    basis = published[-3:]
    (y0, v0), (y1, v1) = basis[0], basis[-1]
    if v0 <= 0 or v1 <= 0:
        return None
    rate = (v1 / v0) ** (1 / (y1 - y0))
    projected = []
    for step in range(1, horizon + 1):
        value = int(math.floor(v1 * rate ** step + 0.5))
        projected.append((LAST + step, Figure(value, disclosure.PUBLISHED)))
    method = (f"以 {y0}–{y1} 年末贫困户数的年均变化率（{(rate - 1) * 100:+.1f}%）外推，"
              "仅为趋势推算，不是统计数。")
    return Projection(disclosure.safe_projection(projected, page.k), method, basis)


def all_tables(page: RegionPage, sort: str | None = None, descending: bool = True,
               counties: bool = True) -> list[Table]:
    """Every table of a region; ``counties=False`` leaves out the counties' (shown on a page
    of their own)."""
    tables = [trend_table(page), cause_table(page), cause_year_table(page), measure_table(page),
              size_table(page), effect_table(page, "cause"), effect_table(page, "measure"),
              children_table(page, sort, descending), county_table(page) if counties else None]
    return [t for t in tables if t is not None]


def headline_table(page: RegionPage) -> Table:
    table = Table("headline", f"主要数字（{LAST}年末）", [("item", "项目"), ("value", "数值")])
    for key, label, cell in headline(page):
        table.rows.append(Row(key, label, [cell]))
    return table


def region_label(page: RegionPage) -> str:
    return " ".join([a.name for a in page.ancestors] + [page.node.name])

