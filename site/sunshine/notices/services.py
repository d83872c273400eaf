"""A notice's life in the back office: drafting, editing a draft, publishing, withdrawing.

Every function checks the actor's role and region, writes the audit log in the same
transaction as the change, and takes ``now`` so that tests can freeze the clock. Once
published a notice is never edited: its period is a legal clock; a mistake is withdrawn (with
a reason, shown publicly) and a new notice drafted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from sunshine import clock, pagecache
from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import check_region, region_scope
from sunshine.audit import record
from sunshine.extensions import db
from sunshine.failures import FieldError, PermissionDenied
from sunshine.forms import has_bad_characters
from sunshine.guard import check_publishable
from sunshine.markup import render_markdown
from sunshine.notices import indexing, periods
from sunshine.notices.models import DRAFT_KINDS, Notice, NoticeKind, NoticeState
from sunshine.notify.events import announce
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats import vocab

log = logging.getLogger(__name__)

#: Who drafts and publishes notices: province administrators and regional staff.
WORKERS = (Role.ADMIN, Role.STAFF)
TITLE_MAX = 200
BODY_MAX = 20_000
REASON_MAX = 1000

#: Labels of this feature's audit-log actions, registered by its ``init_app``.
ACTION_LABELS = {
    "notice_created": "新建公示草稿", "notice_updated": "修改公示草稿",
    "notice_entries_added": "从档案加入公示名单", "notice_entry_removed": "移出公示名单",
    "notice_record_linked": "关联项目或资金", "notice_record_unlinked": "取消关联项目或资金",
    "notice_published": "发布公示", "notice_withdrawn": "撤回公示",
    "notice_objection_filed": "收到公示异议", "notice_objection_ruled": "裁定公示异议",
    "notice_announced": "发布结果公告",
}


class NoticeError(FieldError):
    """A business rule refused a step of a notice."""


def check_worker(user: User, region_code: str) -> None:
    """:raise PermissionDenied: not a worker role, or the region is outside the user's."""
    if user.role not in WORKERS:
        raise PermissionDenied(region_code)
    check_region(user, region_code)


def clean_text(value: str | None, field: str, label: str, limit: int,
               required: bool = True) -> str:
    """:raise NoticeError: empty when required, too long, or with control characters."""
    text = (value or "").strip()
    if required and not text:
        raise NoticeError(f"请填写{label}", field)
    if len(text) > limit:
        raise NoticeError(f"{label}不能超过 {limit} 个字符", field)
    if has_bad_characters(text, multiline=True):
        raise NoticeError(f"{label}含有无效字符（控制字符或非 UTF-8 编码），请删除后重试", field)
    return text


@dataclass
class DraftFields:
    kind: str
    region_code: str
    title: str
    body: str
    start_on: date | None
    end_on: date | None = None
    register_year: int | None = None


def _region(code: str) -> Region:
    region = db.session.get(Region, code) if codes.CODE_RE.match(code or "") else None
    if region is None:
        raise NoticeError("没有这个区划代码", "region_code")
    if region.level < 3:
        raise NoticeError("公示由县（市、区）、乡镇或村发布，请填写县级或以下的区划代码",
                          "region_code")
    return region


def _apply(notice: Notice, fields: DraftFields, user: User, today: date) -> None:
    """Check the fields and copy them onto a draft."""
    if fields.kind not in {k.value for k in DRAFT_KINDS}:
        raise NoticeError("请选择公示类型", "kind")
    kind = NoticeKind(fields.kind)
    if notice.id is not None and kind is not notice.kind and (notice.entries or notice.links):
        raise NoticeError("名单或关联记录已经加入，不能再改公示类型；请先移出", "kind")
    region = _region(fields.region_code.strip())
    check_worker(user, region.code)
    if notice.id is not None and region.code != notice.region_code and (
            notice.entries or notice.links):
        raise NoticeError("名单或关联记录已经加入，不能再改地区；请先移出", "region_code")
    title = clean_text(fields.title, "title", "标题", TITLE_MAX)
    body = clean_text(fields.body, "body", "正文", BODY_MAX, required=False)
    if fields.start_on is None:
        raise NoticeError("请填写公示开始日期（例如 2026-12-01）", "start_on")
    if fields.start_on < today:
        raise NoticeError("公示开始日期不能早于今天", "start_on")
    least = periods.minimum_end(kind, fields.start_on)
    end = fields.end_on or least
    if end < least:
        unit = "个工作日" if periods.working_days() else "天"
        raise NoticeError(f"{kind.label}至少公示 {periods.minimum_days(kind)} {unit}，"
                          f"结束日期不能早于 {least.isoformat()}", "end_on")
    if (end - fields.start_on).days > 366:
        raise NoticeError("公示期不能超过一年", "end_on")
    year = None
    if kind.lists_households:
        year = fields.register_year or vocab.LAST_YEAR
        if year not in vocab.YEARS:
            raise NoticeError(f"年度应在 {vocab.FIRST_YEAR}–{vocab.LAST_YEAR} 之间",
                              "register_year")
    notice.kind, notice.region_code, notice.title = kind, region.code, title
    notice.body, notice.body_html = body, render_markdown(body)
    notice.register_year = year
    periods.set_period(notice, fields.start_on, end)


def create_draft(user: User, fields: DraftFields, now: datetime | None = None) -> Notice:
    """A new draft (not public).

    :raise NoticeError: a field is missing or wrong.
    :raise PermissionDenied: the region is outside the user's.
    """
    now = now or periods.now()
    notice = Notice(created_by_id=user.id, created_at=now, updated_at=now)
    _apply(notice, fields, user, clock.china_date(now))
    db.session.add(notice)
    db.session.flush()
    record("notice_created", user, "notice", notice.id, notice.region_code, notice.title)
    db.session.commit()
    return notice


def update_draft(user: User, notice: Notice, fields: DraftFields,
                 now: datetime | None = None) -> Notice:
    """:raise NoticeError: the notice is no longer a draft, or a field is wrong."""
    check_worker(user, notice.region_code)
    require_draft(notice)
    now = now or periods.now()
    _apply(notice, fields, user, clock.china_date(now))
    notice.updated_at = now
    record("notice_updated", user, "notice", notice.id, notice.region_code, notice.title)
    db.session.commit()
    return notice


def require_draft(notice: Notice) -> None:
    if notice.published_at is not None or notice.withdrawn_at is not None:
        raise NoticeError("已发布或已撤回的公示不能修改；如有错误，请撤回后重新起草")


def publish(user: User, notice: Notice, now: datetime | None = None,
            reindex: bool = True) -> Notice:
    """Publish a draft: from its start day it is 公示中 and objections may be filed.

    :raise NoticeError: not a draft, a start day already past, a list or records missing.
    :raise PersonalDataFound: the title or body holds an ID, phone or bank card number.
    """
    check_worker(user, notice.region_code)
    require_draft(notice)
    now = now or periods.now()
    today = clock.china_date(now)
    if notice.start_on < today:
        raise NoticeError("公示开始日期已过，请先把开始日期改为今天或以后", "start_on")
    if notice.end_on < periods.minimum_end(notice.kind, notice.start_on):
        raise NoticeError("公示期短于规定的最短天数，请修改结束日期", "end_on")
    if notice.kind.lists_households and not notice.entries:
        raise NoticeError("名单是空的：请先从贫困户档案中选择要公示的户")
    if notice.kind.record_type and not notice.links:
        raise NoticeError("请先关联要公示的项目或资金")
    check_publishable(notice.title, notice.body,
                      *(f"{e.masked_name} {e.reason}" for e in notice.entries),
                      *(f"{link.label} {link.detail}" for link in notice.links))
    notice.published_at, notice.updated_at = now, now
    pagecache.changed("notices", notice.region_code)
    record("notice_published", user, "notice", notice.id, notice.region_code,
           f"{notice.kind.label}，{notice.start_on.isoformat()} 至 {notice.end_on.isoformat()}")
    announce(f"新公示：{notice.title}", f"/notices/{notice.id}", region_code=notice.region_code,
             now=now)
    if reindex:
        indexing.reindex([notice])
    db.session.commit()
    log.info("notice %s published", notice.id)
    return notice


def withdraw(user: User, notice: Notice, reason: str, now: datetime | None = None,
             reindex: bool = True) -> Notice:
    """Withdraw a notice (or discard a draft). A withdrawn notice keeps its page, marked
    已撤回 with the reason; objections already filed go on as cases.

    :raise NoticeError: already withdrawn, or no reason.
    :raise PersonalDataFound: the reason holds a personal number (it is public).
    """
    check_worker(user, notice.region_code)
    if notice.withdrawn_at is not None:
        raise NoticeError("这条公示已经撤回")
    text = clean_text(reason, "reason", "撤回理由", REASON_MAX)
    check_publishable(text)
    now = now or periods.now()
    notice.withdrawn_at, notice.withdrawn_reason, notice.updated_at = now, text, now
    pagecache.changed("notices", notice.region_code)
    record("notice_withdrawn", user, "notice", notice.id, notice.region_code, text)
    if notice.published_at is not None:
        announce(f"公示已撤回：{notice.title}", f"/notices/{notice.id}",
                 about=("notice", str(notice.id)), now=now)
    if reindex:
        indexing.reindex([notice])
    db.session.commit()
    return notice


def state(notice: Notice, now: datetime | None = None) -> NoticeState:
    return periods.state_of(notice, now)


def count_in(user: User) -> dict[str, int]:
    """Drafts, and notices past their period still waiting for a result, in the user's
    region, for the dashboard."""
    now = periods.now()
    scope = region_scope(user, Notice.region_code)
    live = (Notice.withdrawn_at.is_(None), Notice.announced_at.is_(None),
            Notice.kind != NoticeKind.RESULT)
    drafts = db.session.scalar(select(func.count()).select_from(Notice).where(
        scope, Notice.published_at.is_(None), Notice.withdrawn_at.is_(None))) or 0
    expired = db.session.scalar(select(func.count()).select_from(Notice).where(
        scope, Notice.published_at.is_not(None), Notice.ends_at <= now, *live)) or 0
    return {"drafts": drafts, "expired": expired}
