"""Notices as the public pages show them (the list, a notice's page, its print page, the API
and the CSV): plain data, read through the ORM once and remembered per worker until a notice
or a case of the region changes, or the region tree (names) does. Loading a notice with its
list, records and objections as ORM objects cost these pages more than rendering them.

The state is never kept: it comes from the clock at each request (``periods.state_of`` reads
the same attribute names from these rows as from a ``Notice``). A list's order depends on the
states, which change only at the start of a China day: a list is remembered per day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sunshine.clock import china_date
from sunshine.extensions import db
from sunshine.markup import plain_text
from sunshine.notices import objections, queries
from sunshine.notices.models import Notice, NoticeEntry, NoticeKind
from sunshine.pagecache import memo
from sunshine.pagecache.versions import Scope
from sunshine.records.paging import NumberedPage
from sunshine.regions import services as regions
from sunshine.regions.services import Place


class Ref(NamedTuple):
    """A region as a notice names it."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Card:
    """A published notice as a list shows it, with its households and objections counted."""

    id: int
    kind: NoticeKind
    title: str
    region_code: str
    region: Ref
    start_on: date
    end_on: date
    starts_at: datetime
    ends_at: datetime
    published_at: datetime | None
    announced_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str
    result_of_id: int | None
    entries: int = 0  # households listed (not counted for the feed)
    objections: tuple[int, int] = (0, 0)  # received, resolved (not counted for the feed)

    @property
    def url(self) -> str:
        return f"/notices/{self.id}"

    @property
    def period_days(self) -> int:
        return (self.end_on - self.start_on).days + 1


@dataclass(frozen=True, slots=True)
class Entry:
    """One household of a notice's list: only what may be public."""

    id: int
    position: int
    masked_name: str
    village_code: str
    village: Ref
    household_size: int | None
    reason: str

    @property
    def label(self) -> str:
        return f"{self.masked_name}（{self.village.name}）"


@dataclass(frozen=True, slots=True)
class Link:
    """A project or fund in a notice, as it was when linked."""

    record_type: str
    record_id: int
    label: str
    detail: str
    region: Ref

    @property
    def url(self) -> str:
        return f"/{self.record_type}s/{self.record_id}"


@dataclass(frozen=True, slots=True)
class Ruling:
    """An objection as the public sees it: what it was about and the ruling, never who
    objected or what they wrote."""

    entry: Entry | None
    ruling_label: str
    reason: str
    resolved: bool
    ruled_at: datetime | None


@dataclass(frozen=True, slots=True)
class Original:
    """The notice a result announcement closes."""

    id: int
    kind: NoticeKind
    title: str
    start_on: date
    end_on: date


@dataclass(frozen=True, slots=True)
class Shown:
    """A public notice with everything its pages show."""

    id: int
    kind: NoticeKind
    title: str
    region_code: str
    region: Ref
    ancestors: list[Place]
    body_html: str
    register_year: int | None
    start_on: date
    end_on: date
    starts_at: datetime
    ends_at: datetime
    published_at: datetime | None
    announced_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str
    result_of_id: int | None
    objections: tuple[int, int]  # received, resolved (its own)
    entries: list[Entry]
    links: list[Link]
    original: Original | None  # for a result announcement: the notice it closes
    rulings: list[Ruling]  # of the original for a result announcement
    result: Original | None  # for an announced notice: its result announcement

    @property
    def url(self) -> str:
        return f"/notices/{self.id}"

    @property
    def period_days(self) -> int:
        return (self.end_on - self.start_on).days + 1


def scopes(region: str | None) -> tuple[Scope, ...]:
    """What a notice's pages show of the region's data: notices, cases (objections) and
    names."""
    return (("notices", region), ("complaints", region), regions.TREE)


def cards_page(filters: queries.Filters, number: int, per_page: int,
               now: datetime) -> NumberedPage[Card]:
    """A page of the public list (``queries.public_query``) as cards, remembered per day."""
    code = filters.region.code if filters.region else None
    key = (filters.kind, code, filters.state, number, per_page, china_date(now))
    return memo.remember("notice-cards", key, memo.versions(scopes(code)),
                         lambda: _cards_page(filters, number, per_page, now))


def _cards_page(filters: queries.Filters, number: int, per_page: int,
                now: datetime) -> NumberedPage[Card]:
    page = db.paginate(queries.public_query(filters, now), page=number, per_page=per_page,
                       error_out=False)
    return NumberedPage(_cards(list(page.items)), page.page, per_page, page.total or 0)


def open_cards(limit: int, now: datetime) -> list[Card]:
    """Open notices, those closing soonest first (``queries.open_notices``), as cards;
    remembered per day."""
    return memo.remember("notice-open-cards", (limit, china_date(now)),
                         memo.versions(scopes(None)), lambda: _cards(
                             queries.open_notices(limit, now), with_objections=False))


def _cards(notices: list[Notice], with_objections: bool = True) -> list[Card]:
    ids = [n.id for n in notices]
    counts = objections.objection_counts(ids) if with_objections else {}
    entries = queries.entry_counts(ids)
    return [_card(n, entries[n.id], counts.get(n.id, (0, 0))) for n in notices]


def _card(n: Notice, entries: int = 0, counts: tuple[int, int] = (0, 0)) -> Card:
    return Card(n.id, n.kind, n.title, n.region_code, Ref(n.region.code, n.region.name),
                n.start_on, n.end_on, n.starts_at, n.ends_at, n.published_at, n.announced_at,
                n.withdrawn_at, n.withdrawn_reason, n.result_of_id, entries, counts)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A notice in the Atom feed: when the public saw it change last, and its text's start."""

    notice: Card
    updated: datetime
    summary: str


def last_change(notice: Notice) -> datetime:
    """When the public saw the notice change last: published, announced or withdrawn."""
    return max(t for t in (notice.published_at, notice.announced_at, notice.withdrawn_at,
                           notice.created_at) if t is not None)


def feed_items(region: str | None) -> list[FeedItem]:
    """The feed's notices (``queries.feed_query``), remembered until the data change."""
    return memo.remember("notice-feed", region, memo.versions(scopes(region)), lambda: [
        FeedItem(_card(n), last_change(n), plain_text(n.body_html)[:300])
        for n in db.session.execute(queries.feed_query(region)).scalars()])


def shown(notice_id: int, region: str) -> Shown | None:
    """The public notice ``notice_id`` of ``region`` (``queries.public_region``), None for a
    draft or an unknown one."""
    return memo.remember("notice-shown", notice_id, memo.versions(scopes(region)),
                         lambda: _shown(notice_id), size=256)


def _entry(e: NoticeEntry) -> Entry:
    return Entry(e.id, e.position, e.masked_name, e.village_code,
                 Ref(e.village.code, e.village.name), e.household_size, e.reason)


def _original(n: Notice) -> Original:
    return Original(n.id, n.kind, n.title, n.start_on, n.end_on)


def _shown(notice_id: int) -> Shown | None:
    notice = queries.get_public(notice_id)
    if notice is None:
        return None
    original = notice.result_of if notice.kind is NoticeKind.RESULT else None
    ruled = original or notice
    rulings = [Ruling(_entry(o.entry) if o.entry else None, o.ruling_label, o.reason,
                      o.resolved, o.ruled_at) for o in objections.objections_of(ruled)]
    result = objections.result_of(notice) if notice.announced_at else None
    return Shown(
        notice.id, notice.kind, notice.title, notice.region_code,
        Ref(notice.region.code, notice.region.name), regions.around(notice.region_code)[1],
        notice.body_html, notice.register_year, notice.start_on, notice.end_on,
        notice.starts_at, notice.ends_at, notice.published_at, notice.announced_at,
        notice.withdrawn_at, notice.withdrawn_reason, notice.result_of_id,
        objections.objection_counts([notice.id])[notice.id], [_entry(e) for e in notice.entries],
        [Link(x.record_type, x.record_id, x.label, x.detail, Ref(x.region.code, x.region.name))
         for x in notice.links],
        _original(original) if original else None, rulings,
        _original(result) if result else None)
