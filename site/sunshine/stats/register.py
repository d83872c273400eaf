"""The private register in the back office: region-scoped reads, each view of personal data
written to the audit log, status changes followed by an incremental rollup."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, func, select, true

from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import check_region
from sunshine.audit import record
from sunshine.extensions import db
from sunshine.failures import FieldError, PermissionDenied
from sunshine.guard import id_number_valid
from sunshine.regions import codes
from sunshine.stats import rollup, vocab
from sunshine.stats.idnumbers import id_hasher
from sunshine.stats.models import Household, MemberId, MemberList

#: Who works with the register: province administrators and regional staff.
REGISTER_ROLES = (Role.ADMIN, Role.STAFF)


class RegisterError(FieldError):
    """A change to the household register that a rule refuses."""


def scope(user: User) -> ColumnElement[bool]:
    """Households in the user's region, as an archive-number range (an index range)."""
    if user.role == Role.ADMIN:
        return true()
    if user.role not in REGISTER_ROLES or not user.region_code:
        return Household.id < 0
    lo, hi = rollup.village_range(user.region_code)
    return Household.id.between(lo, hi)


STATUS_FILTERS = {
    "poor": "贫困（含新识别、返贫）", "exited": "已脱贫", "returned": "曾返贫", "removed": "剔除",
}


def _status_condition(status: str | None) -> ColumnElement[bool]:
    on_register = Household.removed == 0
    if status == "poor":
        return and_(on_register, (Household.exited == 0)
                    | ((Household.returned > 0) & (Household.reexited == 0)))
    if status == "exited":
        return and_(on_register, Household.exited > 0,
                    (Household.returned == 0) | (Household.reexited > 0))
    if status == "returned":
        return Household.returned > 0
    if status == "removed":
        return Household.removed > 0
    return true()


def household_query(user: User, region: str | None = None, status: str | None = None,
                    cause: int | None = None) -> Select[tuple[Household]]:
    """:raise PermissionDenied: for a region outside the user's scope."""
    query = select(Household).where(scope(user))
    if region:
        check_region(user, region)
        lo, hi = rollup.village_range(region)
        query = query.where(Household.id.between(lo, hi))
    if status in STATUS_FILTERS:
        query = query.where(_status_condition(status))
    if cause:
        query = query.where(Household.main_cause == cause)
    return query.order_by(Household.id)


def log_list_view(user: User, region: str | None, count: int) -> None:
    record("households_listed", user, "household", "", region or user.region_code,
           f"查看贫困户列表，{count} 户")
    db.session.commit()


def get_household(user: User, archive: int) -> Household | None:
    """The household with its members, for a user allowed to see it; the view is logged.

    :raise PermissionDenied: outside the user's region.
    """
    household = db.session.get(Household, archive)
    if household is None:
        return None
    check_region(user, household.village_code)
    record("household_viewed", user, "household", household.archive_number,
           household.village_code, "查看贫困户档案（含成员信息）")
    db.session.commit()
    return household


def find_by_id_number(user: User, number: str) -> Household | None:
    """The household of the person with this ID number, if it is in the user's region.

    The same answer (None) for an unknown number and for one outside the region, so that the
    search does not tell staff who is registered elsewhere. Every search is logged, without
    the number.
    """
    number = number.strip().upper()
    if not id_number_valid(number):
        raise RegisterError("身份证号无效（长度、出生日期或校验码不对）", "number")
    household_id = db.session.scalar(
        select(MemberId.household_id).where(MemberId.id_hash == id_hasher()(number)))
    found = db.session.get(Household, household_id) if household_id is not None else None
    allowed = found is not None and _can_see(user, found.village_code)
    record("id_number_searched", user, "household",
           found.archive_number if allowed and found else "", user.region_code,
           "按身份证号查找（号码不记录）：" + ("找到" if allowed else "未找到"))
    db.session.commit()
    return found if allowed else None


def _can_see(user: User, village: str) -> bool:
    try:
        check_region(user, village)
    except PermissionDenied:
        return False
    return True


CHANGES = {"exit": "脱贫", "return": "返贫", "reexit": "再次脱贫", "remove": "剔除"}


def change_status(user: User, household: Household, change: str, year: int) -> Household:
    """Record an exit, a return, a second exit or a removal in ``year``; the rollups of the
    household's village and its ancestors are rebuilt.

    :raise RegisterError: when the change does not fit the household's history.
    :raise PermissionDenied: outside the user's region.
    """
    check_region(user, household.village_code)
    if change not in CHANGES:
        raise RegisterError("未知的变化类型", "change")
    entered, exited, returned, reexited, removed = household.events
    field = {"exit": "exited", "return": "returned", "reexit": "reexited",
             "remove": "removed"}[change]
    if getattr(household, field):
        raise RegisterError(f"这一户已经有{CHANGES[change]}记录", "change")
    events = {"entered": entered, "exited": exited, "returned": returned,
              "reexited": reexited, "removed": removed, field: year}
    problem = vocab.check_events(events["entered"], events["exited"], events["returned"],
                                 events["reexited"], events["removed"])
    if problem:
        raise RegisterError(problem, "year")
    setattr(household, field, year)
    record("household_changed", user, "household", household.archive_number,
           household.village_code, f"{year}年{CHANGES[change]}")
    db.session.commit()
    rollup.rebuild_villages([household.village_code])
    return household


@dataclass
class Overview:
    households: int
    members: int


def overview(user: User) -> Overview:
    """How many households and members the user's region holds."""
    households = db.session.scalar(
        select(func.count()).select_from(Household).where(scope(user))) or 0
    if user.role == Role.ADMIN:
        member_scope: ColumnElement[bool] = true()
    elif user.role in REGISTER_ROLES and user.region_code:
        member_scope = MemberList.household_id.between(*rollup.village_range(user.region_code))
    else:
        member_scope = false()
    members = db.session.scalar(
        select(func.coalesce(func.sum(MemberList.count), 0)).where(member_scope)) or 0
    return Overview(households, members)


def region_ok(code: str) -> str | None:
    try:
        return codes.normalise(code)
    except codes.InvalidCode:
        return None
