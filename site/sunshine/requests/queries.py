"""The public archive's queries and filters: every request not held for review, newest first.

What a public reader may see of a request is its office, dates, state, clock, outcome and legal
basis; its question and answer only when the applicant allowed it. Never who asked.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import selectinload

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.requests import services
from sunshine.requests.models import (
    InfoRequest,
    Office,
    OfficeKind,
    Outcome,
    RequestApplicant,
    Status,
)


@dataclass
class Filters:
    region: Region | None = None
    office: Office | None = None
    status: Status | None = None
    outcome: Outcome | None = None
    about: str = ""

    @property
    def args(self) -> dict[str, str]:
        """The filters as query arguments (for links, the CSV and the feed)."""
        found = {"region": self.region.code if self.region else "",
                 "office": self.office.key if self.office else "",
                 "status": self.status.value if self.status else "",
                 "outcome": self.outcome.value if self.outcome else "",
                 "about": self.about}
        return {k: v for k, v in found.items() if v}


ARGS = ("region", "office", "status", "outcome", "about", "page")


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Junk in any argument means "no filter", never an error."""
    code = args.get("region", "")
    region = db.session.get(Region, code) if codes.CODE_RE.match(code) else None
    status = args.get("status", "")
    outcome = args.get("outcome", "")
    return Filters(
        region=region, office=services.parse_office(args.get("office", "")),
        status=Status(status) if status in {s.value for s in Status} else None,
        outcome=Outcome(outcome) if outcome in {o.value for o in Outcome} else None,
        about=services.clean_about(args.get("about", "")))


def public_query(filters: Filters | None = None) -> Select[tuple[InfoRequest]]:
    query = select(InfoRequest).where(InfoRequest.held.is_(False))
    filters = filters or Filters()
    if filters.region is not None:
        lo, hi = codes.subtree_bounds(filters.region.code)
        query = query.where(InfoRequest.office_region_code.between(lo, hi))
    if filters.office is not None:
        query = query.where(InfoRequest.office_region_code == filters.office.region.code,
                            InfoRequest.office_kind == filters.office.kind)
    if filters.status is not None:
        query = query.where(InfoRequest.status == filters.status)
    if filters.outcome is not None:
        query = query.where(InfoRequest.outcome == filters.outcome)
    if filters.about:
        query = query.where(InfoRequest.about == filters.about)
    return query.order_by(InfoRequest.received_at.desc(), InfoRequest.id.desc())


def get_public(request_id: int) -> InfoRequest | None:
    return db.session.scalar(select(InfoRequest).options(selectinload(InfoRequest.events)).where(
        InfoRequest.id == request_id, InfoRequest.held.is_(False)))


def shown_question(request: InfoRequest) -> tuple[str, str]:
    """(title, question) as the public may read them."""
    if not request.consent_to_publish:
        return request.public_title, ""
    return request.public_title, request.public_body


def shown_answer(request: InfoRequest) -> str:
    return request.answer if request.consent_to_publish and request.answered_at else ""


@dataclass(frozen=True)
class OftenAsked:
    """A page of this site that different applicants asked one office about: a candidate for
    publishing without being asked (主动公开)."""

    office: Office
    about: str
    applicants: int
    requests: int

    @property
    def archive_args(self) -> dict[str, str]:
        return {"office": self.office.key, "about": self.about}


@functools.cache
def _often(by_region: bool) -> Select[Any]:
    """The often-requested query, the region's bounds and the threshold as parameters (built
    once per process)."""
    applicants = func.count(func.distinct(RequestApplicant.fingerprint))
    query = (select(Region, InfoRequest.office_kind, InfoRequest.about, applicants,
                    func.count(func.distinct(InfoRequest.id)))
             .join(RequestApplicant, RequestApplicant.request_id == InfoRequest.id)
             .join(Region, Region.code == InfoRequest.office_region_code)
             .where(InfoRequest.about != "", InfoRequest.held.is_(False))
             .group_by(Region.code, InfoRequest.office_kind, InfoRequest.about)
             .having(applicants >= bindparam("least"))
             .order_by(applicants.desc(), InfoRequest.about).limit(50))
    if by_region:
        query = query.where(InfoRequest.office_region_code.between(bindparam("lo"),
                                                                   bindparam("hi")))
    return query


def often_requested(region: Region | None = None,
                    scope: ColumnElement[bool] | None = None) -> list[OftenAsked]:
    """Pages asked about by at least ``REQUEST_OFTEN`` different applicants of one office, most
    asked first; in a region's offices (``region``) or a staff member's (``scope``). One query:
    applicants are told apart by their identity's keyed hash, never by reading it."""
    params: dict[str, Any] = {"least": int(current_app.config["REQUEST_OFTEN"])}
    query = _often(region is not None)
    if region is not None:
        params["lo"], params["hi"] = codes.subtree_bounds(region.code)
    if scope is not None:
        query = query.where(scope)
    return [OftenAsked(Office(office_region, OfficeKind(kind)), about, people, count)
            for office_region, kind, about, people, count in db.session.execute(query, params)]
