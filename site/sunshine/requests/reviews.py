"""Administrative reviews and lawsuits (行政复议、行政诉讼) about an office's disclosure, which
staff enter for the annual report's last table: chosen from the requests of their region (the
office and year then follow from the request), or for an office of their region directly.

Every check is here, in Chinese, so that the form only shows what the service refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, or_, select

from sunshine.accounts.models import User
from sunshine.accounts.permissions import can_access_region, region_scope
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.requests import handling, services
from sunshine.requests.models import Appeal, AppealKind, AppealResult, InfoRequest, Office
from sunshine.requests.services import RequestError

#: How many requests the picker lists (the search narrows them).
PICKER_SIZE = 50


@dataclass(frozen=True)
class Choice:
    """A request the picker offers: its office and the year its answer counts in."""

    id: int
    label: str
    office_key: str
    year: int


def request_choices(user: User, search: str = "") -> list[Choice]:
    """The requests to offices in the user's region, newest first; ``search`` matches the
    number or the public title. Never who asked."""
    query = (select(InfoRequest).where(region_scope(user, InfoRequest.office_region_code),
                                       InfoRequest.held.is_(False))
             .order_by(InfoRequest.id.desc()).limit(PICKER_SIZE))
    search = search.strip()[:50]
    if search:
        number = search.removeprefix("#")
        query = query.where(or_(cast(InfoRequest.id, String) == number,
                                InfoRequest.public_subject.contains(search),
                                InfoRequest.subject.contains(search)))
    return [Choice(info.id, f"#{info.id} {info.public_title}（{info.office.name}）",
                   info.office.key, (info.answered_at or info.received_at).year)
            for info in db.session.execute(query).scalars()]


def office_choices(user: User) -> list[Office]:
    """Offices the user may enter a case for: those of their own region and those that
    received requests in their region."""
    offices: dict[str, Office] = {}
    if user.region_code:
        own = db.session.get(Region, user.region_code)
        if own is not None:
            offices.update((o.key, o) for o in services.offices_in(own))
    rows = db.session.execute(select(Region, InfoRequest.office_kind).join(
        InfoRequest, InfoRequest.office_region_code == Region.code).where(
        region_scope(user, InfoRequest.office_region_code)).distinct()
        .order_by(Region.code, InfoRequest.office_kind).limit(500))
    for region, kind in rows:
        office = Office(region, kind)
        offices.setdefault(office.key, office)
    return sorted(offices.values(), key=lambda o: (o.region.code, o.kind.value))


def record(actor: User, office_key: str, request_id: str, year: int | None, kind: AppealKind,
           result: AppealResult) -> Appeal:
    """Enter a case for an office, about one of its requests or not. With a request, the
    office is the request's and the year defaults to the year of its answer.

    :raise RequestError: an unknown request (or one outside the user's region), no office, a
        request to another office than the one chosen, or no year.
    :raise PermissionDenied: an office outside the user's region.
    """
    info = None
    if request_id.strip():
        number = request_id.strip().removeprefix("#")
        info = db.session.get(InfoRequest, int(number)) if number.isdigit() else None
        if info is None or info.held or not can_access_region(actor, info.office_region_code):
            raise RequestError("没有找到这个申请，请从列表中选择", "request")
    office = services.parse_office(office_key.strip()) if office_key.strip() else None
    if info is not None:
        if office is not None and office.key != info.office.key:
            raise RequestError(f"这个申请是向{info.office.name}提出的，与所选机关不一致",
                               "office")
        office = info.office
        year = year or (info.answered_at or info.received_at).year
    if office is None:
        raise RequestError("请选择机关，或者选择案件涉及的申请", "office")
    if year is None:
        raise RequestError("请填写年度", "year")
    if year > today().year:
        raise RequestError(f"年度不能晚于 {today().year} 年", "year")
    return handling.record_appeal(actor, office, year, kind, result,
                                  request_id=info.id if info is not None else None)
