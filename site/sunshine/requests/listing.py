"""The archive's lists (the page, CSV, feed and API) read the columns they show as plain rows:
no request object, no answer text loaded, the office's region name from a join.
Loading a few hundred whole requests as objects cost more than everything else on these pages.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select

from sunshine.extensions import db
from sunshine.pagecache import memo
from sunshine.records.paging import PageNumbers
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.requests import queries
from sunshine.requests.models import (
    BASES,
    RUNNING,
    Basis,
    InfoRequest,
    OfficeKind,
    Outcome,
    Status,
    office_name,
)


@dataclass(frozen=True, slots=True)
class OfficeRef:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Listed:
    """What a list shows of one request (never who asked; the question as the archive shows
    it, only with the applicant's consent)."""

    id: int
    public_subject: str
    office_region_code: str
    office_kind: OfficeKind
    region_name: str
    region_level: int
    received_at: datetime
    updated_at: datetime
    deadline: date
    status: Status
    was_overdue: bool
    extension_days: int
    outcome: Outcome | None
    basis: str
    answered_at: datetime | None
    answered_on_time: bool | None
    about: str
    consent_to_publish: bool
    public_body: str

    @property
    def office(self) -> OfficeRef:
        return OfficeRef(f"{self.office_region_code}-{self.office_kind.value}",
                         office_name(self.region_name, self.region_level, self.office_kind))

    @property
    def public_title(self) -> str:
        return self.public_subject or f"向{self.office.name}申请公开政府信息"

    @property
    def basis_entry(self) -> Basis | None:
        return BASES.get(self.outcome, {}).get(self.basis) if self.outcome else None

    def overdue(self, today: date) -> bool:
        return self.status in RUNNING and self.deadline < today


COLUMNS = (InfoRequest.id, InfoRequest.public_subject, InfoRequest.office_region_code,
           InfoRequest.office_kind, Region.name, Region.level, InfoRequest.received_at,
           InfoRequest.updated_at, InfoRequest.deadline, InfoRequest.status,
           InfoRequest.was_overdue, InfoRequest.extension_days, InfoRequest.outcome,
           InfoRequest.basis, InfoRequest.answered_at, InfoRequest.answered_on_time,
           InfoRequest.about, InfoRequest.consent_to_publish, InfoRequest.public_body)


def _flags(filters: queries.Filters) -> tuple[bool, ...]:
    return (filters.region is not None, filters.office is not None,
            filters.status is not None, filters.outcome is not None, bool(filters.about))


def _params(filters: queries.Filters) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if filters.region is not None:
        params["lo"], params["hi"] = codes.subtree_bounds(filters.region.code)
    if filters.office is not None:
        params["code"], params["kind"] = filters.office.region.code, filters.office.kind
    params.update(status=filters.status, outcome=filters.outcome, about=filters.about)
    return params


@functools.cache
def _statements(flags: tuple[bool, ...]) -> tuple[Select[Any], Select[Any]]:
    """The rows and the count of the archive with the filters ``flags`` says are set, their
    values as parameters: built once, as building a statement costs more than running it.
    The same conditions as ``queries.public_query``."""
    region, office, status, outcome, about = flags
    where: list[ColumnElement[bool]] = [InfoRequest.held.is_(False)]
    if region:
        where.append(InfoRequest.office_region_code.between(bindparam("lo"), bindparam("hi")))
    if office:
        where += [InfoRequest.office_region_code == bindparam("code"),
                  InfoRequest.office_kind == bindparam("kind")]
    if status:
        where.append(InfoRequest.status == bindparam("status"))
    if outcome:
        where.append(InfoRequest.outcome == bindparam("outcome"))
    if about:
        where.append(InfoRequest.about == bindparam("about"))
    found = select(*COLUMNS).join(Region, Region.code == InfoRequest.office_region_code) \
        .where(*where).order_by(InfoRequest.received_at.desc(), InfoRequest.id.desc()) \
        .limit(bindparam("limit")).offset(bindparam("offset"))
    return found, select(func.count()).select_from(InfoRequest).where(*where)


#: The archive's lists change with any request written anywhere, or a region renamed.
SCOPES = (("requests", None),)


def rows(filters: queries.Filters, limit: int, offset: int = 0,
         at: tuple[int, ...] | None = None) -> list[Listed]:
    """The archive's requests with ``filters``, newest first, remembered per worker until a
    request changes (``at``: ``memo.versions(SCOPES)``, read first when given): reading and
    converting a few hundred rows cost the CSV most of its time."""
    flags, params = _flags(filters), _params(filters)
    key = (flags, tuple(sorted(params.items())), limit, offset)
    query, _ = _statements(flags)
    return memo.remember(
        "request-rows", key, memo.versions(SCOPES) if at is None else at,
        lambda: [Listed(*row) for row in db.session.execute(
            query, {**params, "limit": limit, "offset": offset})])


@dataclass
class ListPage(PageNumbers):
    """One page of the archive, with what the pagination macro reads."""

    items: list[Listed]
    page: int
    per_page: int
    total: int


def page_of(filters: queries.Filters, page: int, per_page: int) -> ListPage:
    """A page of the archive (two statements: the count and the rows), remembered as
    ``rows``."""
    flags, params = _flags(filters), _params(filters)
    _, count = _statements(flags)
    at = memo.versions(SCOPES)
    total = memo.remember("request-count", (flags, tuple(sorted(params.items()))), at,
                          lambda: db.session.scalar(count, params) or 0)
    return ListPage(rows(filters, per_page, (page - 1) * per_page, at), page, per_page, total)


@functools.cache
def _by_ids() -> Select[Any]:
    return select(*COLUMNS).join(Region, Region.code == InfoRequest.office_region_code).where(
        InfoRequest.id.in_(bindparam("ids", expanding=True))).order_by(InfoRequest.id)


def by_ids(ids: list[int]) -> list[Listed]:
    """The requests with these ids (the records behind a report's cell), by id."""
    if not ids:
        return []
    return [Listed(*row) for row in db.session.execute(_by_ids(), {"ids": ids})]
