"""Needs in the back office: created by county, town or village staff for a household of their
region, verified by a second person of a higher level, published, withdrawn, thanked and
closed. Every step is audit-logged; the search outbox learns of it in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from sunshine import clock, pagecache
from sunshine.accounts.models import Role, User
from sunshine.audit import record
from sunshine.database import rowcount, utcnow
from sunshine.extensions import db
from sunshine.guard import check_publishable
from sunshine.matching import indexing
from sunshine.matching.common import (
    MatchingError,
    PermissionDenied,
    add_event,
    check_handler,
    is_handler,
)
from sunshine.matching.models import (
    CATEGORIES,
    MONEY_UNIT,
    OPEN_STATES,
    STARTED_STATES,
    UNITS,
    URGENCY,
    Need,
    NeedItem,
    NeedState,
    Pledge,
    PledgeState,
)
from sunshine.matching.names import need_texts, refuse_own_names
from sunshine.matching.pledges import lock_need, release
from sunshine.records.money import to_fen
from sunshine.regions import codes
from sunshine.stats.models import Household

MAX_ITEMS = 10
MAX_QUANTITY = 100_000
MAX_AMOUNT = Decimal("1000000")
MAX_DAYS_AHEAD = 366


@dataclass
class ItemFields:
    name: str
    quantity: int
    unit: str
    price: Decimal | None = None


@dataclass
class NeedFields:
    household_id: int
    category: str
    title: str
    story: str
    urgency: int
    deadline: date
    items: list[ItemFields] = field(default_factory=list)
    amount: Decimal | None = None  # a money need instead of goods


def region_level(user: User) -> int:
    """1 province … 5 village; an admin without a region counts as the province."""
    if not user.region_code:
        return 1
    return codes.level_of(user.region_code)


def can_create(user: User) -> bool:
    """County, town and village staff create needs (their verifiers sit above them)."""
    return (getattr(user, "is_authenticated", False) and user.role == Role.STAFF
            and user.region_code is not None and region_level(user) >= 3)


def can_verify(user: User, need: Need) -> bool:
    return (need.created_by != user.id and region_level(user) < codes.level_of(need.creator_region)
            and user.role in (Role.ADMIN, Role.STAFF) and is_handler(user, need.village_code))


def _clean_text(fields: NeedFields, today: date) -> None:
    """:raise MatchingError: for a field the form could not judge alone."""
    if fields.category not in CATEGORIES:
        raise MatchingError("请选择类别", "category")
    fields.title, fields.story = fields.title.strip(), fields.story.strip()
    if not fields.title or len(fields.title) > 100:
        raise MatchingError("请填写标题（100 字以内）", "title")
    if len(fields.story) > 5000:
        raise MatchingError("情况说明不能超过 5000 字", "story")
    if fields.urgency not in URGENCY:
        raise MatchingError("请选择紧急程度", "urgency")
    if not today <= fields.deadline <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise MatchingError("截止日期应在今天到一年以内", "deadline")


def _clean(fields: NeedFields, today: date) -> None:
    """Text and lines. :raise MatchingError: for a field the form could not judge alone."""
    _clean_text(fields, today)
    if fields.amount is not None:
        if fields.items:
            raise MatchingError("物品和资金请分开发布：一项需求要么列物品，要么写金额", "amount")
        if not Decimal("0") < fields.amount <= MAX_AMOUNT:
            raise MatchingError("所需金额应在 0.01 到 1000000 元之间", "amount")
        return
    if not fields.items:
        raise MatchingError("请至少填写一项物品，或者填写所需金额", "items")
    if len(fields.items) > MAX_ITEMS:
        raise MatchingError(f"最多 {MAX_ITEMS} 项物品", "items")
    for item in fields.items:
        item.name = item.name.strip()
        if not item.name or len(item.name) > 100:
            raise MatchingError("每项物品都要有名称（100 字以内）", "items")
        if not 1 <= item.quantity <= MAX_QUANTITY:
            raise MatchingError(f"物品数量应为 1 到 {MAX_QUANTITY}", "items")
        if item.unit not in UNITS:
            raise MatchingError("请选择物品的单位", "items")
        if item.price is not None and not Decimal("0") <= item.price <= MAX_AMOUNT:
            raise MatchingError("估价应在 0 到 1000000 元之间", "items")


def _household(user: User, household_id: int) -> Household:
    household = db.session.get(Household, household_id)
    if household is None:
        raise MatchingError("登记册中没有这个档案编号", "household_id")
    if not is_handler(user, household.village_code):
        raise MatchingError("这户不在您负责的区划内", "household_id")
    if household.removed:
        raise MatchingError("这户已被剔除出登记册，不能发布需求", "household_id")
    return household


def _set_lines(need: Need, fields: NeedFields) -> None:
    need.items.clear()
    db.session.flush()
    if fields.amount is not None:
        need.money = True
        need.items.append(NeedItem(position=0, name="所需资金", unit=MONEY_UNIT, money=True,
                                   needed=to_fen(fields.amount), pledged=0))
        return
    need.money = False
    for n, item in enumerate(fields.items):
        need.items.append(NeedItem(position=n, name=item.name, unit=item.unit, money=False,
                                   needed=item.quantity, pledged=0, price=item.price))


def create_need(staff: User, fields: NeedFields) -> Need:
    """A draft need for a household of the staff member's region.

    :raise PermissionDenied: not county, town or village staff.
    :raise MatchingError: an unknown household, one outside the region, or a bad field.
    """
    if not can_create(staff):
        raise PermissionDenied("needs are created by county, town or village staff")
    _clean(fields, clock.today())
    household = _household(staff, fields.household_id)
    need = Need(household_id=household.id, village_code=household.village_code,
                county_code=household.village_code[:6] + "000000", category=fields.category,
                title=fields.title, story=fields.story, urgency=fields.urgency,
                deadline=fields.deadline, state=NeedState.DRAFT.value, created_by=staff.id,
                creator_region=staff.region_code or "")
    db.session.add(need)
    _set_lines(need, fields)
    db.session.flush()
    pagecache.changed("matching", need.village_code)
    record("matching.need_create", staff, "matching_need", need.id, need.village_code)
    db.session.commit()
    return need


def update_draft(staff: User, need: Need, fields: NeedFields) -> Need:
    """Edit everything of a draft (also one sent back by the verifier)."""
    check_handler(staff, need.village_code)
    if need.state != NeedState.DRAFT:
        raise MatchingError("只有草稿可以修改全部内容")
    _clean(fields, clock.today())
    household = _household(staff, fields.household_id)
    need.household_id, need.village_code = household.id, household.village_code
    need.county_code = household.village_code[:6] + "000000"
    for name in ("category", "title", "story", "urgency", "deadline"):
        setattr(need, name, getattr(fields, name))
    _set_lines(need, fields)
    pagecache.changed("matching", need.village_code)
    record("matching.need_edit", staff, "matching_need", need.id, need.village_code)
    db.session.commit()
    return need


def update_public(staff: User, need: Need, title: str, story: str, urgency: int,
                  deadline: date) -> Need:
    """Correct the text, urgency or deadline of a public need; its lines stay as pledged.

    :raise PersonalDataFound: the new text holds an ID, mobile or card number.
    """
    check_handler(staff, need.village_code)
    if need.state not in [s.value for s in (*OPEN_STATES, NeedState.PLEDGED,
                                            NeedState.DELIVERING)]:
        raise MatchingError("这项需求已结束或未发布，不能这样修改")
    fields = NeedFields(need.household_id, need.category, title, story, urgency, deadline)
    _clean_text(fields, clock.today())
    check_publishable(fields.title, fields.story)
    refuse_own_names(need, fields.title, fields.story, field="story")
    need.title, need.story, need.urgency, need.deadline = (fields.title, fields.story,
                                                           fields.urgency, fields.deadline)
    add_event(need.id, "工作人员更新了需求说明")
    pagecache.changed("matching", need.village_code)
    record("matching.need_edit", staff, "matching_need", need.id, need.village_code)
    indexing.reindex([need])
    db.session.commit()
    return need


def submit(staff: User, need: Need) -> Need:
    """草稿 → 待审核. :raise PersonalDataFound: the text holds a personal number."""
    check_handler(staff, need.village_code)
    if need.state != NeedState.DRAFT:
        raise MatchingError("只有草稿可以提交审核")
    check_publishable(*need_texts(need))
    refuse_own_names(need, *need_texts(need))
    need.state, need.review_note = NeedState.PENDING.value, ""
    pagecache.changed("matching", need.village_code)
    record("matching.need_submit", staff, "matching_need", need.id, need.village_code)
    db.session.commit()
    return need


def verify(staff: User, need: Need) -> Need:
    """待审核 → 已发布 by a second staff member of a higher level than the creator.

    :raise MatchingError: the creator, or staff not above the creator's level.
    """
    check_handler(staff, need.village_code)
    if need.state != NeedState.PENDING:
        raise MatchingError("只有待审核的需求可以核实发布")
    if need.created_by == staff.id:
        raise MatchingError("需求须由创建人以外的上一级工作人员核实")
    if not can_verify(staff, need):
        raise MatchingError("需求须由比创建人更高一级（如乡镇创建、县级核实）的工作人员核实")
    check_publishable(*need_texts(need))
    refuse_own_names(need, *need_texts(need))
    if need.deadline < clock.today():
        raise MatchingError("截止日期已过，请退回修改截止日期")
    now = utcnow()
    need.state, need.verified_by, need.published_at = NeedState.PUBLISHED.value, staff.id, now
    add_event(need.id, "经核实后发布", now)
    pagecache.changed("matching", need.village_code)
    record("matching.need_verify", staff, "matching_need", need.id, need.village_code)
    indexing.reindex([need])
    db.session.commit()
    return need


def send_back(staff: User, need: Need, reason: str) -> Need:
    """待审核 → 草稿 with the verifier's reason."""
    check_handler(staff, need.village_code)
    if need.state != NeedState.PENDING:
        raise MatchingError("只有待审核的需求可以退回")
    if not reason.strip():
        raise MatchingError("请填写退回原因", "reason")
    need.state, need.review_note = NeedState.DRAFT.value, reason.strip()[:500]
    pagecache.changed("matching", need.village_code)
    record("matching.need_send_back", staff, "matching_need", need.id, need.village_code,
           reason[:500])
    db.session.commit()
    return need


def withdraw(staff: User, need: Need, reason: str, now: datetime | None = None) -> Need:
    """→ 已撤回 before any delivery started; active pledges are cancelled and donors see it.

    :raise MatchingError: no reason, delivery started, or the need has ended.
    """
    check_handler(staff, need.village_code)
    if not reason.strip():
        raise MatchingError("请填写撤回原因", "reason")
    allowed = [NeedState.DRAFT, NeedState.PENDING, *OPEN_STATES, NeedState.PLEDGED]
    now = now or utcnow()
    try:
        lock_need(need.id)
        started = db.session.scalar(select(func.count()).select_from(Pledge).where(
            Pledge.need_id == need.id, Pledge.state.in_([s.value for s in STARTED_STATES])))
        if started:
            raise MatchingError("已有认领开始配送，不能撤回；请完成配送后结束这项需求")
        changed = rowcount(db.session.execute(
            update(Need).where(Need.id == need.id, Need.state.in_([s.value for s in allowed]))
            .values(state=NeedState.WITHDRAWN.value, withdraw_reason=reason.strip()[:500])
            .execution_options(synchronize_session=False)))
        if not changed:
            raise MatchingError("这项需求已结束，不能撤回")
        for p in db.session.execute(select(Pledge).where(
                Pledge.need_id == need.id, Pledge.state == PledgeState.ACTIVE.value)).scalars():
            release(p, (PledgeState.ACTIVE,), PledgeState.CANCELLED, now, "需求已撤回")
        pagecache.changed("matching", need.village_code)
        record("matching.need_withdraw", staff, "matching_need", need.id, need.village_code,
               reason[:500])
        db.session.refresh(need)  # the state the UPDATE above wrote
        indexing.reindex([need])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    db.session.refresh(need)
    return need


def finished_early(need: Need) -> bool:
    """Past its deadline, only partly pledged, and every holding pledge confirmed."""
    if need.state not in (NeedState.PUBLISHED, NeedState.PARTLY) or need.deadline >= clock.today():
        return False
    states = set(db.session.execute(select(Pledge.state).where(
        Pledge.need_id == need.id)).scalars())
    return PledgeState.CONFIRMED in states and not states & {
        PledgeState.ACTIVE, PledgeState.DELIVERING, PledgeState.DELIVERED}


def thank(staff: User, need: Need, note: str) -> Need:
    """已送达 → 已致谢 with the household's thanks, written down by staff (public).

    :raise PersonalDataFound: the note holds a personal number.
    """
    check_handler(staff, need.village_code)
    if need.state not in (NeedState.DELIVERED, NeedState.THANKED) and not finished_early(need):
        raise MatchingError("全部送达并确认后才能登记致谢")
    note = note.strip()
    if not note or len(note) > 2000:
        raise MatchingError("请填写致谢内容（2000 字以内）", "note")
    check_publishable(note)
    refuse_own_names(need, note, field="note")
    now = utcnow()
    if need.state != NeedState.THANKED:
        add_event(need.id, "受助户致谢", now, tell_donors=True)
    need.state, need.thanks_note, need.thanked_at = NeedState.THANKED.value, note, now
    pagecache.changed("matching", need.village_code)
    record("matching.need_thank", staff, "matching_need", need.id, need.village_code)
    db.session.commit()
    return need


def close(staff: User, need: Need) -> Need:
    """已送达 / 已致谢 (or a partly met need past its deadline) → 已结束."""
    check_handler(staff, need.village_code)
    if need.state not in (NeedState.DELIVERED, NeedState.THANKED) and not finished_early(need):
        raise MatchingError("送达并确认后才能结束这项需求")
    need.state, need.closed_at = NeedState.CLOSED.value, utcnow()
    add_event(need.id, "帮扶完成，需求结束", need.closed_at)
    pagecache.changed("matching", need.village_code)
    record("matching.need_close", staff, "matching_need", need.id, need.village_code)
    db.session.commit()
    return need
