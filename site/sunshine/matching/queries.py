"""Public reads: the list of needs with its filters, one public need, the thanks wall and its
totals per region, a donor's own pledges. Only public fields leave these functions' callers."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from sunshine.extensions import db
from sunshine.markup import render_markdown, stored_html
from sunshine.matching.models import (
    CATEGORIES,
    DONE_STATES,
    LIVE_STATES,
    PUBLIC_STATES,
    Need,
    NeedFigures,
    NeedItem,
    NeedState,
    Pledge,
    PledgeState,
    show_units,
)
from sunshine.pagecache import memo
from sunshine.records.money import from_fen
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.regions.province import province_code
from sunshine.web import is_number

#: The list's state filter: what is still going on (the default), everything public, or one.
STATE_CHOICES = {"": "进行中", "all": "全部", **{s.value: s.label for s in PUBLIC_STATES}}


@dataclass
class Filters:
    category: str | None = None
    region: str | None = None
    urgency: int | None = None
    state: str = ""


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Filters from query arguments; anything unknown is ignored rather than an error."""
    get = args.get
    category = get("category") if get("category") in CATEGORIES else None
    urgency_text = get("urgency") or ""
    urgency = int(urgency_text) if urgency_text in ("1", "2", "3") else None
    state = get("state") if get("state") in STATE_CHOICES else ""
    return Filters(category=category, region=known_region(get("region") or ""),
                   urgency=urgency, state=state or "")


def known_region(text: str) -> str | None:
    code = codes.clean(text)
    return code if code is not None and db.session.get(Region, code) is not None else None


def in_region(column: InstrumentedAttribute[str], code: str | None) -> ColumnElement[bool]:
    lo, hi = codes.subtree_bounds(code or province_code())
    return and_(column >= lo, column <= hi)


def _states(state: str) -> list[str]:
    if state == "all":
        return [s.value for s in PUBLIC_STATES]
    if state:
        return [state]
    return [s.value for s in LIVE_STATES]


def public_query(filters: Filters) -> Select[tuple[Need]]:
    """Most urgent first, then the nearest deadline."""
    query = select(Need).where(Need.state.in_(_states(filters.state)))
    if filters.category:
        query = query.where(Need.category == filters.category)
    if filters.urgency:
        query = query.where(Need.urgency == filters.urgency)
    if filters.region:
        query = query.where(in_region(Need.village_code, filters.region))
    return query.order_by(Need.urgency, Need.deadline, Need.id)


@dataclass
class Line:
    """A need's line as a list shows it (a plain row, not the ORM object)."""

    id: int
    name: str
    unit: str
    money: bool
    needed: int
    pledged: int
    price: Decimal | None

    @property
    def remaining(self) -> int:
        return self.needed - self.pledged

    def show(self, units: int) -> str:
        return show_units(units, self.unit, self.money)


@dataclass
class Card(NeedFigures):
    """A public need as the list, the CSV and the JSON list show it: plain rows read with
    two statements for a whole page, the same names as ``Need``'s."""

    id: int
    title: str
    category: str
    urgency: int
    deadline: date
    state: str
    money: bool
    village_code: str
    published_at: datetime | None
    items: list[Line] = field(default_factory=list)



_CARD_COLUMNS = (Need.id, Need.title, Need.category, Need.urgency, Need.deadline, Need.state,
                 Need.money, Need.village_code, Need.published_at)
_LINE_COLUMNS = (NeedItem.need_id, NeedItem.id, NeedItem.name, NeedItem.unit, NeedItem.money,
                 NeedItem.needed, NeedItem.pledged, NeedItem.price)


def card_query(filters: Filters) -> Select[Any]:
    """``public_query`` as the columns of a card."""
    return public_query(filters).with_only_columns(*_CARD_COLUMNS)


def count_query(filters: Filters) -> Select[Any]:
    """How many needs ``public_query`` finds."""
    return count_of(public_query(filters))


def count_of(query: Select[Any]) -> Select[Any]:
    """How many rows ``query`` finds."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def with_lines(rows: Iterable[Any]) -> list[Card]:
    """Cards of ``card_query``'s rows, with their lines read in one statement."""
    cards = [Card(*row) for row in rows]
    by_id = {card.id: card for card in cards}
    if by_id:
        for need_id, *line in db.session.execute(
                select(*_LINE_COLUMNS).where(NeedItem.need_id.in_(by_id))
                .order_by(NeedItem.need_id, NeedItem.position, NeedItem.id)):
            by_id[need_id].items.append(Line(*line))
    return cards


def is_public(need: Need) -> bool:
    return need.state in [s.value for s in PUBLIC_STATES]


def get_public(need_id: int) -> Need | None:
    """A public need (with its lines), for a pledge and a follower's mail; its page reads
    ``needpage``."""
    return db.session.scalar(select(Need).where(
        Need.id == need_id, Need.state.in_([s.value for s in PUBLIC_STATES])))


@functools.lru_cache(maxsize=256)
def story_html(story: str) -> Markup:
    """A story as HTML, made once per worker for each text (Markdown costs a page a third of
    a millisecond); a changed story is another key."""
    return stored_html(render_markdown(story))


def follow_label(need_id: str) -> str | None:
    """A need as its followers see it named; None unless its page is public."""
    need = get_public(int(need_id)) if is_number(need_id) and len(need_id) <= 9 else None
    return f"爱心帮扶：{need.title}" if need else None


def region_chain(code: str) -> list[Region]:
    """The village and its ancestors up to the county, for "某县某镇某村"."""
    wanted = chain_codes(code)
    rows = {r.code: r for r in db.session.execute(
        select(Region).where(Region.code.in_(wanted))).scalars()}
    return [rows[c] for c in wanted if c in rows]


def place(need: Need) -> str:
    return "".join(r.name for r in region_chain(need.village_code))


def chain_codes(code: str) -> list[str]:
    """The county, town and village codes of a region, down to the region itself."""
    level = codes.level_of(code)
    return [code[:codes.PREFIX_LEN[n]].ljust(12, "0") for n in range(3, level + 1)]


def region_names(village_codes: Iterable[str]) -> dict[str, str]:
    """The names of villages and of their towns and counties, from one query."""
    wanted = {c for code in set(village_codes) for c in chain_codes(code)}
    return dict(db.session.execute(select(Region.code, Region.name).where(
        Region.code.in_(wanted))).tuples().all()) if wanted else {}


def place_of(code: str, names: Mapping[str, str]) -> str:
    """"某县某镇某村" from ``region_names``."""
    return "".join(names[c] for c in chain_codes(code) if c in names)


def places(village_codes: Iterable[str]) -> dict[str, str]:
    """"某县某镇某村" for each village, from one query for all of them (a list page's)."""
    unique = set(village_codes)
    names = region_names(unique)
    return {code: place_of(code, names) for code in unique}


def donors_of(need_ids: list[int]) -> dict[int, list[str]]:
    """Public names of the donors whose pledges were confirmed, per need."""
    out: dict[int, list[str]] = {}
    if not need_ids:
        return out
    rows = db.session.execute(select(Pledge.need_id, Pledge.display_name).where(
        Pledge.need_id.in_(need_ids), Pledge.state == PledgeState.CONFIRMED.value)
        .order_by(Pledge.id))
    for need_id, name in rows:
        names = out.setdefault(need_id, [])
        if name not in names:
            names.append(name)
    return out


# --- the thanks wall -------------------------------------------------------------------------


@dataclass
class Totals:
    label: str = ""
    code: str = ""
    needs_met: int = 0
    donors: int = 0
    units: int = 0
    amount: Decimal = field(default_factory=lambda: Decimal("0.00"))


def _prefix_len(level: int) -> int:
    return codes.PREFIX_LEN[level]


def totals(region: str | None) -> tuple[Totals, list[Totals]]:
    """``count_totals``, remembered per worker until a need of the region (or under it)
    changes: a province-wide sum over every pledge is not done for each view."""
    code = region or province_code()
    return memo.remember("help-totals", code, memo.versions([("matching", code)]),
                         lambda: count_totals(code))


def count_totals(code: str) -> tuple[Totals, list[Totals]]:
    """Help delivered in a region and in each of its child regions: needs met (delivered,
    thanked or closed), donors with a confirmed pledge, units of goods and money confirmed."""
    level = codes.level_of(code)
    child_len = _prefix_len(level + 1) if level < 5 else 12
    key = func.substr(Need.village_code, 1, child_len)
    scope = in_region(Need.village_code, code)
    done = Need.state.in_([s.value for s in DONE_STATES])
    confirmed = and_(scope, Pledge.state == PledgeState.CONFIRMED.value)
    # One pass over the needs met and the needs with a confirmed pledge, each need joined to
    # its confirmed pledges (and their lines): needs are counted once, pledges summed.
    per_child = (
        select(key, func.count(func.distinct(case((done, Need.id)))),
               func.count(func.distinct(Pledge.donor_id)),
               func.sum(case((NeedItem.money.is_(False), Pledge.quantity), else_=0)),
               func.sum(case((NeedItem.money.is_(True), Pledge.quantity), else_=0)))
        .select_from(Need)
        .outerjoin(Pledge, (Pledge.need_id == Need.id)
                   & (Pledge.state == PledgeState.CONFIRMED.value))
        .outerjoin(NeedItem, NeedItem.id == Pledge.item_id)
        .where(scope, done | Pledge.id.is_not(None)).group_by(key))
    # The region's own donors come in the same statement, as a row without a prefix: a donor
    # who helped in two places counts once.
    region_donors = (select(literal(""), literal(0), func.count(func.distinct(Pledge.donor_id)),
                            literal(0), literal(0))
                     .select_from(Pledge).join(Need, Need.id == Pledge.need_id).where(confirmed))
    rows: dict[str, Totals] = {}
    donors_here = 0
    for prefix, met, donors, units, fen in db.session.execute(union_all(per_child,
                                                                        region_donors)):
        if prefix == "":
            donors_here = donors
            continue
        rows[prefix] = Totals(code=prefix.ljust(12, "0"), needs_met=met, donors=donors,
                              units=int(units or 0), amount=from_fen(fen or 0))
    names = {r.code: r.name for r in db.session.execute(select(Region).where(
        Region.code.in_([t.code for t in rows.values()]))).scalars()}
    children = sorted(rows.values(), key=lambda t: t.code)
    for child in children:
        child.label = names.get(child.code, child.code)
    overall = Totals(label="合计", code=code, needs_met=sum(t.needs_met for t in children),
                     donors=donors_here, units=sum(t.units for t in children),
                     amount=sum((t.amount for t in children), Decimal("0.00")))
    return overall, children


def thanked_query(region: str | None) -> Select[Any]:
    """Needs with a thank-you note, newest first, as the columns the wall shows."""
    query = select(Need.id, Need.title, Need.village_code, Need.thanked_at, Need.thanks_note
                   ).where(Need.state.in_([NeedState.THANKED.value, NeedState.CLOSED.value]),
                           Need.thanks_note != "")
    if region:
        query = query.where(in_region(Need.village_code, region))
    return query.order_by(Need.thanked_at.desc(), Need.id.desc())

