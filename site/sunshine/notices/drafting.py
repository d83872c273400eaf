"""Filling a draft: households drawn from the register (never typed, masked by the server) and
published projects or funds linked with a snapshot of their facts.

Which households a kind lists, for its register year: 识别 those that entered the register
that year (新识别), 退出 those that exited (or exited again) that year, 返贫 those that returned
to poverty that year. Only the head's masked name, the village, the household size and the
reason are copied; the archive number stays for staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.extensions import db
from sunshine.funds.models import Fund
from sunshine.masking import mask_name
from sunshine.notices.models import Notice, NoticeEntry, NoticeKind, NoticeLink
from sunshine.notices.services import NoticeError, check_worker, require_draft
from sunshine.projects.models import Project
from sunshine.records.models import State
from sunshine.regions import codes
from sunshine.stats import register as stats_register
from sunshine.stats import rollup
from sunshine.stats.models import Household
from sunshine.templating import money

#: At most this many households are offered (and added) at once.
PICK_LIMIT = 500
MAX_ENTRIES = 2000


def _event(kind: NoticeKind, year: int) -> ColumnElement[bool]:
    if kind is NoticeKind.IDENTIFICATION:
        return (Household.entered == year) & (Household.removed == 0)
    if kind is NoticeKind.EXIT:
        return or_(Household.exited == year, Household.reexited == year) \
            & (Household.removed == 0)
    if kind is NoticeKind.MONITORING:
        return (Household.returned == year) & (Household.removed == 0)
    return false()


def head_name(household: Household) -> str | None:
    """The 户主's name (the first member when no one is marked head); None without members."""
    if not household.members:
        return None
    heads = [m for m in household.members if m.relation == 0]
    return (heads or household.members)[0].name


def reason_for(kind: NoticeKind, household: Household, year: int) -> str:
    if kind is NoticeKind.IDENTIFICATION:
        return household.main_cause_label
    if kind is NoticeKind.EXIT:
        return f"{year}年再次脱贫" if household.reexited == year else f"{year}年脱贫"
    return f"{year}年返贫（{household.main_cause_label}）"


@dataclass
class Candidate:
    archive_number: str
    household_id: int
    masked_name: str
    village: str
    size: int
    reason: str


def _query(user: User, notice: Notice, village: str | None = None) -> Select[tuple[Household]]:
    lo, hi = rollup.village_range(village or notice.region_code)
    taken = select(NoticeEntry.household_id).where(NoticeEntry.notice_id == notice.id,
                                                   NoticeEntry.household_id.is_not(None))
    return select(Household).where(
        stats_register.scope(user), Household.id.between(lo, hi),
        _event(notice.kind, notice.register_year or 0), Household.id.not_in(taken))


def candidates(user: User, notice: Notice, village: str | None = None) -> tuple[list[Candidate],
                                                                                   int]:
    """Households of the notice's region (optionally one village in it) that fit its kind and
    year and are not on the list yet, masked; and how many there are in all.

    :raise PermissionDenied: the notice or the village is outside the user's region.
    """
    check_worker(user, notice.region_code)
    if village:
        if not codes.CODE_RE.match(village) or not codes.in_subtree(village,
                                                                     notice.region_code):
            raise NoticeError("这个村不在公示的地区内", "village")
        check_worker(user, village)
    if not notice.kind.lists_households:
        return [], 0
    query = _query(user, notice, village)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.options(selectinload(Household.member_list))
                              .order_by(Household.id).limit(PICK_LIMIT)).scalars()
    year = notice.register_year or 0
    found = [Candidate(h.archive_number, h.id, mask_name(head_name(h) or ""), h.village.name,
                       h.size, reason_for(notice.kind, h, year))
             for h in rows if head_name(h) is not None]
    return found, total


def add_households(user: User, notice: Notice, household_ids: list[int]) -> int:
    """Put the chosen households on the draft's list; returns how many were added.

    Each is checked again here: in the region, fitting the kind and year, not on the list,
    with a head whose name can be masked.

    :raise NoticeError: not a draft, nothing chosen, or a household that does not fit.
    """
    check_worker(user, notice.region_code)
    require_draft(notice)
    if not notice.kind.lists_households:
        raise NoticeError("这类公示没有户名单")
    wanted = sorted(set(household_ids))
    if not wanted:
        raise NoticeError("请至少选择一户", "households")
    if len(wanted) > PICK_LIMIT or len(notice.entries) + len(wanted) > MAX_ENTRIES:
        raise NoticeError(f"一次最多加入 {PICK_LIMIT} 户，一条公示最多 {MAX_ENTRIES} 户",
                          "households")
    rows = {h.id: h for h in db.session.execute(_query(user, notice).where(
        Household.id.in_(wanted)).options(selectinload(Household.member_list))).scalars()}
    missing = [n for n in wanted if n not in rows or head_name(rows[n]) is None]
    if missing:
        raise NoticeError(f"有 {len(missing)} 户不在公示地区内、不符合公示类型和年度、已在名单中"
                          "或没有成员信息，请重新选择", "households")
    position = max((e.position for e in notice.entries), default=0)
    year = notice.register_year or 0
    for n in wanted:
        household = rows[n]
        position += 1
        notice.entries.append(NoticeEntry(
            position=position, household_id=household.id,
            masked_name=mask_name(head_name(household) or ""),
            village_code=household.village_code, household_size=household.size,
            reason=reason_for(notice.kind, household, year)))
    record("notice_entries_added", user, "notice", notice.id, notice.region_code,
           f"从贫困户档案加入 {len(wanted)} 户")
    db.session.commit()
    return len(wanted)


def remove_entry(user: User, notice: Notice, entry_id: int) -> None:
    check_worker(user, notice.region_code)
    require_draft(notice)
    entry = next((e for e in notice.entries if e.id == entry_id), None)
    if entry is None:
        raise NoticeError("名单中没有这一户")
    notice.entries.remove(entry)
    for position, other in enumerate(notice.entries, start=1):
        other.position = position
    record("notice_entry_removed", user, "notice", notice.id, notice.region_code,
           f"移出 {entry.masked_name}（{entry.village.name}）")
    db.session.commit()


# --- projects and funds --------------------------------------------------------------------


Record = TypeVar("Record", Project, Fund)


def _published(model: type[Record], region_code: str, record_id: int | None,
               limit: int) -> list[Record]:
    lo, hi = codes.subtree_bounds(region_code)
    query = select(model).where(model.state == State.PUBLISHED.value,
                                model.region_code.between(lo, hi))
    if record_id is not None:
        query = query.where(model.id == record_id)
    return list(db.session.scalars(query.order_by(model.year.desc(), model.id.desc())
                                   .limit(limit)))


def published_records(record_type: str, region_code: str, record_id: int | None = None,
                      limit: int = 200) -> list[Project | Fund]:
    """Published projects (``record_type`` "project") or funds of the region and the regions
    under it, newest first; only the one with ``record_id`` when given."""
    if record_type == "project":
        return [*_published(Project, region_code, record_id, limit)]
    return [*_published(Fund, region_code, record_id, limit)]


def find_record(record_type: str, record_id: int) -> Project | Fund | None:
    """A project (``record_type`` "project") or fund by id, whatever its state."""
    if record_type == "project":
        return db.session.get(Project, record_id)
    return db.session.get(Fund, record_id)


def record_candidates(user: User, notice: Notice, limit: int = 200) -> list[Project | Fund]:
    """Published projects (or funds) of the notice's region, newest first, not linked yet."""
    check_worker(user, notice.region_code)
    record_type = notice.kind.record_type
    if record_type is None:
        return []
    linked = {link.record_id for link in notice.links}
    rows = published_records(record_type, notice.region_code, limit=limit)
    return [r for r in rows if r.id not in linked]


def snapshot(record_type: str, item: Project | Fund) -> tuple[str, str]:
    """The label and the facts a notice keeps of a record, as they are now."""
    if isinstance(item, Project):
        return item.name, (f"{item.category} · {item.year}年 · 预算 {money(item.budget, '万元')} · "
                           f"实施单位：{item.implementing_unit} · 受益 "
                           f"{item.beneficiary_households} 户 {item.beneficiary_people} 人")
    return item.name, (f"{item.document_number} · {item.source_level}{item.fund_type} · "
                       f"{money(item.amount, '万元')} · 下达日期 {item.issued_on.isoformat()}")


def link_record(user: User, notice: Notice, record_id: int) -> NoticeLink:
    """Link a published project (or fund) of the notice's region to the draft.

    :raise NoticeError: not a draft, the wrong kind, unknown, unpublished or elsewhere.
    """
    check_worker(user, notice.region_code)
    require_draft(notice)
    record_type = notice.kind.record_type
    if record_type is None:
        raise NoticeError("这类公示不关联项目或资金")
    found = published_records(record_type, notice.region_code, record_id, limit=1)
    if not found:
        raise NoticeError("没有找到这个已公开的记录，或它不在公示的地区内", "record")
    item = found[0]
    if any(link.record_id == item.id for link in notice.links):
        raise NoticeError("已经关联过了", "record")
    label, detail = snapshot(record_type, item)
    link = NoticeLink(record_type=record_type, record_id=item.id, label=label[:200],
                      detail=detail[:500], region_code=item.region_code)
    notice.links.append(link)
    record("notice_record_linked", user, "notice", notice.id, notice.region_code,
           f"{record_type} {item.id}：{label}")
    db.session.commit()
    return link


def unlink_record(user: User, notice: Notice, link_id: int) -> None:
    check_worker(user, notice.region_code)
    require_draft(notice)
    link = next((x for x in notice.links if x.id == link_id), None)
    if link is None:
        raise NoticeError("没有这条关联")
    notice.links.remove(link)
    record("notice_record_unlinked", user, "notice", notice.id, notice.region_code, link.label)
    db.session.commit()
