"""Public statistics: one region's figures read from the rollups (``region_page``) and the
pieces its tables are made of (``tables.py`` builds them). Every number passes through
``disclosure.figure``.

A region page costs one indexed query on the rollups: it returns the region, its children,
(on province and city pages) the counties for the map and the region's ancestors (names for
the breadcrumbs), joined with their names, coordinates and population.
The register is never read here.
"""

from __future__ import annotations

import functools
import weakref
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Engine,
    Executable,
    ScalarSelect,
    Select,
    String,
    bindparam,
    event,
    literal,
    literal_column,
    or_,
    select,
    true,
)

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.stats import disclosure, vocab
from sunshine.stats.disclosure import Figure
from sunshine.stats.layout import layout
from sunshine.stats.models import Build, Rollup, RuralPopulation
from sunshine.stats.rollup import unpack

LAST = vocab.LAST_YEAR


class StatsNotFound(LookupError):
    """No such region, or no rollups yet."""


@dataclass
class Node:
    """A region and its stored counts; ``fig`` is the only way to read them."""

    code: str
    name: str
    level: int
    synthetic: bool
    longitude: float | None
    latitude: float | None
    population: int | None
    vector: array
    status: bytes
    k: int = 10

    def fig(self, *key: object) -> Figure:
        return disclosure.figure(self.vector, self.status, layout()(*key), self.k)

    @property
    def level_name(self) -> str:
        return codes.LEVEL_NAMES[self.level]

    @property
    def url(self) -> str:
        return f"/stats/{self.code}"

    def to_dict(self) -> dict[str, object]:
        """As ``Region.to_dict``: the API's breadcrumbs."""
        return {"code": self.code, "name": self.name, "level": self.level,
                "level_name": self.level_name}


@dataclass
class Cell:
    """A table cell: a figure, a share or plain text."""

    figure: Figure | None = None
    text: str | None = None
    number: float | None = None  # for sorting and charts

    @property
    def display(self) -> str:
        if self.figure is not None:
            return self.figure.text
        return self.text or ""

    @property
    def csv(self) -> str:
        if self.figure is not None:
            return self.figure.plain
        return self.text or ""

    def json(self) -> object:
        if self.figure is not None:
            return self.figure.json()
        return self.number if self.number is not None else self.text

    @property
    def html(self) -> Markup:
        """The cell's content for a page: hidden figures get their marker and a reason."""
        figure = self.figure
        if figure is None or figure.value is not None:
            return Markup.escape(self.display)
        if figure.status == disclosure.SMALL:
            reason = f"少于 {figure.k} 户，不公开"
        elif figure.status == disclosure.COMPLEMENT:
            reason = "为防止推算出小数字而一并隐去"
        else:
            reason = "上一级的这一数字已隐去，下级一并隐去"
        return Markup('<span class="suppressed" title="{}">{}</span>').format(reason,
                                                                             figure.text)

    @property
    def suppressed(self) -> bool:
        return self.figure is not None and self.figure.suppressed

    @property
    def small(self) -> bool:
        return self.figure is not None and self.figure.status == disclosure.SMALL


@dataclass
class Row:
    key: str
    label: str
    cells: list[Cell]
    url: str | None = None


@dataclass
class Table:
    id: str
    title: str
    columns: list[tuple[str, str]]  # (key, label); the first column is the row label
    rows: list[Row] = field(default_factory=list)
    note: str = ""
    numeric: bool = True
    _body: Markup | None = field(default=None, init=False, repr=False, compare=False)

    def column(self, key: str) -> int:
        return [k for k, _ in self.columns[1:]].index(key)

    def body_html(self) -> Markup:
        """The rows as HTML: the first cell labels the row (a link when it has a url), a
        hidden figure's cell has the class "withheld". Written here rather than in a macro:
        a long table's thousand cells cost a page most of its time in Jinja. Written once a
        table: a remembered table's rows no longer change."""
        if self._body is None:
            self._body = self._write_body()
        return self._body

    def _write_body(self) -> Markup:
        out = []
        for row in self.rows:
            label = row.label.translate(_ESCAPES)
            head = f'<a href="{row.url.translate(_ESCAPES)}">{label}</a>' if row.url else label
            cells = "".join(f'<td class="withheld">{c.display.translate(_ESCAPES)}</td>'
                            if c.suppressed else f"<td>{c.display.translate(_ESCAPES)}</td>"
                            for c in row.cells)
            out.append(f'<tr><th scope="row">{head}</th>{cells}</tr>\n')
        return Markup("".join(out))


#: What ``markupsafe.escape`` replaces, as a table for ``str.translate`` (no Markup made a
#: cell).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


@dataclass
class RegionPage:
    node: Node
    ancestors: list[Node | Region]  # code and name, province first
    children: list[Node]
    counties: list[Node]
    synthetic_build: bool  # the latest build holds synthetic households
    k: int

    @property
    def synthetic(self) -> bool:
        return bool(self.node.synthetic or self.synthetic_build)


def min_cell() -> int:
    return int(current_app.config.get("STATS_MIN_CELL", 10))


def rollup_query(code: str, level: int) -> Select[Any]:
    """The one query of a region page: the rollups of the region, its children, on province
    and city pages the counties (an index range on (level, region_code)), and its ancestors
    (primary keys: their names make the breadcrumbs); with each row, whether the latest build
    holds synthetic households (one lookup, evaluated once). One round trip matters on
    PostgreSQL, where each costs about 0.3 ms."""
    lo, hi = codes.subtree_bounds(code)
    if db.engine.dialect.name == "postgresql":
        latest_synthetic = (select(Build.synthetic).order_by(Build.id.desc()).limit(1)
                            .scalar_subquery())
        return _pg_rollup_query(lo, hi, list(_levels(level)), codes.ancestors_of(code),
                                latest_synthetic)
    statement, params = _rollup_statement(code, level)
    return statement.params(params)


def _levels(level: int) -> tuple[int, ...]:
    """The levels a page of ``level`` reads: its own, its children's, on province and city
    pages the counties'."""
    return tuple(sorted({level, min(level + 1, 5), *((3,) if level < 3 else ())}))


def _rollup_statement(code: str, level: int) -> tuple[Select[Any], dict[str, Any]]:
    """``rollup_query`` (but on PostgreSQL) as a statement made once per shape and its
    parameters: building and keying the statement cost a page more than running it."""
    lo, hi = codes.subtree_bounds(code)
    ancestors = codes.ancestors_of(code)
    return (_rollup_shape(_levels(level), bool(ancestors)),
            {"lo": lo, "hi": hi, **({"ancestors": ancestors} if ancestors else {})})


@functools.cache
def _rollup_shape(levels: tuple[int, ...], with_ancestors: bool) -> Select[Any]:
    in_subtree = Rollup.level.in_(levels) & Rollup.region_code.between(
        bindparam("lo", type_=String), bindparam("hi", type_=String))
    where = or_(in_subtree, Rollup.region_code.in_(bindparam("ancestors", expanding=True))) \
        if with_ancestors else in_subtree
    latest_synthetic = (select(Build.synthetic).order_by(Build.id.desc()).limit(1)
                        .scalar_subquery())
    return (select(Rollup.region_code, Rollup.level, Rollup.cells, Rollup.status, Region.name,
                   Region.synthetic, Region.longitude, Region.latitude, RuralPopulation.people,
                   latest_synthetic.label("build_synthetic"))
            .join(Region, Region.code == Rollup.region_code)
            .outerjoin(RuralPopulation, RuralPopulation.region_code == Rollup.region_code)
            .where(where))


def _pg_rollup_query(lo: str, hi: str, levels: list[int], ancestors: list[str],
                     latest_synthetic: ScalarSelect[Any]) -> Select[Any]:
    """``rollup_query`` on PostgreSQL, shaped so that it is planned once per connection and
    level, not once per page (planning took as long as running it):

    - each rollup row's region and population are looked up by primary key (``LATERAL``
      subqueries, kept apart by ``OFFSET 0``). As plain joins the planner weighed join orders
      on every page, and on the province page chose to read all 18,000 regions to hash them
      (~4 ms);
    - the statement is prepared (``BINARY_RESULT`` runs it with psycopg's ``prepare=True``),
      and the codes are sub-selects (``(SELECT $1)``), so the plan made for one page's codes
      is the plan for any: after five executions PostgreSQL keeps the generic plan and stops
      planning (the levels, fixed for a page's level, stay literals);
    - the result comes back in binary: the counts are bytea, which the text protocol sends
      as hex, twice the size, encoded and decoded at either end.
    """

    def value(code: str) -> ScalarSelect[Any]:
        return select(literal(code, String)).scalar_subquery()

    where: ColumnElement[bool] = (
        Rollup.level.in_([literal_column(str(int(lvl))) for lvl in levels])
        & Rollup.region_code.between(value(lo), value(hi)))
    if ancestors:
        where = or_(where, *(Rollup.region_code == value(a) for a in ancestors))
    region = (select(Region.name, Region.synthetic, Region.longitude, Region.latitude)
              .where(Region.code == Rollup.region_code).offset(literal_column("0"))
              .lateral("r"))
    population = (select(RuralPopulation.people)
                  .where(RuralPopulation.region_code == Rollup.region_code)
                  .offset(literal_column("0")).lateral("p"))
    return (select(Rollup.region_code, Rollup.level, Rollup.cells, Rollup.status, region.c.name,
                   region.c.synthetic, region.c.longitude, region.c.latitude,
                   population.c.people, latest_synthetic.label("build_synthetic"))
            .select_from(Rollup).join(region, true()).outerjoin(population, true())
            .where(where).execution_options(**{BINARY_RESULT: True}))


#: An execution option: on PostgreSQL, run the statement prepared and ask psycopg for the
#: result in binary format.
BINARY_RESULT = "sunshine_binary_result"
_BINARY_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _binary_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    if not context.execution_options.get(BINARY_RESULT):
        return None  # SQLAlchemy executes as usual
    # Prepared at once, unless the connection prepares nothing (``prepare_threshold=None``,
    # as behind a transaction-pooling PgBouncer).
    prepare = None if cursor.connection.prepare_threshold is None else True
    cursor.execute(statement, parameters, binary=True, prepare=prepare)
    return True


def _ensure_binary_results(engine: Engine) -> None:
    """Listen once per engine (psycopg only) for statements with ``BINARY_RESULT``; the
    statement still runs between SQLAlchemy's before/after cursor events."""
    if engine.dialect.name == "postgresql" and engine not in _BINARY_ENGINES:
        event.listen(engine, "do_execute", _binary_execute)
        _BINARY_ENGINES.add(engine)


def read(statement: Executable) -> Sequence[Any]:
    """The rows of a read-only statement. On PostgreSQL it runs outside a transaction, on a
    connection of its own in autocommit mode: psycopg opens a transaction with a ``BEGIN``
    round trip of its own, which was half of a region page's database time (one statement
    reads one snapshot anyway)."""
    if db.engine.dialect.name != "postgresql":
        return db.session.execute(statement).all()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(statement).all()


def region_page(code: str) -> RegionPage:
    """:raise StatsNotFound: for an unknown code or a region without rollups."""
    try:
        code = codes.normalise(code)
        level = codes.level_of(code)
    except codes.InvalidCode as exc:
        raise StatsNotFound(code) from exc
    nodes: dict[str, Node] = {}
    k = min_cell()
    synthetic_build = False
    wanted = codes.ancestors_of(code)
    if db.engine.dialect.name == "postgresql":
        _ensure_binary_results(db.engine)
        rows = read(rollup_query(code, level))
    else:
        statement, params = _rollup_statement(code, level)
        rows = db.session.connection().execute(statement, params).all()
    for row in rows:
        nodes[row.region_code] = Node(row.region_code, row.name, row.level, row.synthetic,
                                      row.longitude, row.latitude, row.people,
                                      unpack(row.cells), bytes(row.status), k)
        synthetic_build = bool(row.build_synthetic)
    node = nodes.get(code)
    if node is None:
        return _before_first_build(code, level, wanted)
    ancestors: list[Node | Region] = [nodes[c] for c in wanted if c in nodes]
    subtree = [n for n in nodes.values() if n.code not in wanted]
    children = sorted((n for n in subtree if n.level == level + 1), key=lambda n: n.code)
    counties = sorted((n for n in subtree if n.level == 3), key=lambda n: n.code) \
        if level < 3 else []
    return RegionPage(node, ancestors, children, counties, synthetic_build, k)


def _before_first_build(code: str, level: int, wanted: list[str]) -> RegionPage:
    nodes = _without_rollups(code, level)
    ancestors: list[Node | Region] = list(db.session.execute(
        select(Region).where(Region.code.in_(wanted)).order_by(Region.level)).scalars())
    children = sorted((n for n in nodes.values() if n.level == level + 1), key=lambda n: n.code)
    return RegionPage(nodes[code], ancestors, children, [], False, min_cell())


def _without_rollups(code: str, level: int) -> dict[str, Node]:
    """Before the first build: the region and its children with nothing counted yet.

    :raise StatsNotFound: when the region does not exist.
    """
    region = db.session.get(Region, code)
    if region is None:
        raise StatsNotFound(code)
    size = layout().size
    nodes = {}
    for r in [region, *regions.children_of(code)]:
        vector = array("i", bytes(4 * size))
        status = bytes(disclosure.initial_status(vector, r.level, min_cell()))
        nodes[r.code] = Node(r.code, r.name, r.level, r.synthetic, r.longitude, r.latitude,
                             None, vector, status, min_cell())
    return nodes


def headline_for(code: str) -> RegionPage | None:
    """The province's headline figures for the home page: its own rollup row only, where its
    page also reads and unpacks every city's and county's. Before the first build, the
    region with nothing counted; None for an unknown region."""
    row = db.session.connection().execute(_headline_statement(), {"code": code}).first()
    if row is None:
        try:
            return region_page(code)
        except StatsNotFound:
            return None
    k = min_cell()
    node = Node(code, row.name, row.level, row.synthetic, row.longitude, row.latitude,
                row.people, unpack(row.cells), bytes(row.status), k)
    return RegionPage(node, [], [], [], bool(row.build_synthetic), k)


@functools.cache
def _headline_statement() -> Select[Any]:
    """``headline_for``'s query, made once (as ``_rollup_shape``)."""
    latest_synthetic = (select(Build.synthetic).order_by(Build.id.desc()).limit(1)
                        .scalar_subquery())
    return (select(Rollup.level, Rollup.cells, Rollup.status, Region.name, Region.synthetic,
                   Region.longitude, Region.latitude, RuralPopulation.people,
                   latest_synthetic.label("build_synthetic"))
            .join(Region, Region.code == Rollup.region_code)
            .outerjoin(RuralPopulation, RuralPopulation.region_code == Rollup.region_code)
            .where(Rollup.region_code == bindparam("code", type_=String)))
