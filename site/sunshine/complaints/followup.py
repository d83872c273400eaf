"""Telling a reporter who follows their case by e-mail, and asking them afterwards.

A reporter follows their case from its tracking page (notify's signed "complaint" topic). They
are told of each public state change and of the reply, in words the tracking page shows them
too, never the code or what they reported. ``COMPLAINT_FOLLOWUP_DAYS`` after the answer they
are asked whether it was resolved: "没有解决" reopens the case with the answer attached, and the
answers feed the handling statistics (resolved as the reporters judge it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import selectinload

from sunshine.complaints.models import (
    VERDICT_PREFIX,
    VERDICTS,
    Case,
    CaseEvent,
    EventType,
    Status,
)
from sunshine.complaints.services import CaseError, _public_record, reply_deadline
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.notify import events, outbox, subscriptions, tokens
from sunshine.notify.models import Token
from sunshine.pagecache.versions import plain_rows

TOPIC = "complaint"
TOKEN_PURPOSE = "followup"
TRACK = "/complaints/track"


def follow_label(case_id: str) -> str | None:
    """A case as its follower's messages name it: its kind and day, not its text."""
    case = db.session.get(Case, int(case_id)) if case_id.isascii() and case_id.isdigit() \
        and len(case_id) <= 9 else None
    if case is None:
        return None
    return f"您反映的{case.kind.label}（{case.submitted_at.strftime('%Y-%m-%d')} 提交）"


def tell_followers(case: Case, status_label: str, lines: Sequence[str],
                   now: datetime | None = None) -> int:
    """A state change or the reply, to whoever follows the case, in the caller's transaction."""
    return events.announce(f"您反映的问题有新进展：{status_label}", TRACK,
                           about=(TOPIC, str(case.id)),
                           lines=[*lines, "请用您的查询码在“办理查询”页面查看完整经过。"], now=now)


def _asked() -> Exists:
    return exists().where(CaseEvent.case_id == Case.id,
                          CaseEvent.type.in_([EventType.FOLLOWUP, EventType.VERDICT]))


def queue_followups(now: datetime) -> int:
    """Ask each follower of a case answered ``COMPLAINT_FOLLOWUP_DAYS`` ago (and not asked
    yet) whether it was resolved. A mail job of ``sunshine mail send``; returns how many."""
    days = int(current_app.config["COMPLAINT_FOLLOWUP_DAYS"])
    cases = db.session.scalars(select(Case).where(
        Case.status.in_([Status.REPLIED, Status.CLOSED]), Case.replied_at.is_not(None),
        Case.replied_at <= now - timedelta(days=days), ~_asked()).order_by(Case.id)).all()
    made = 0
    for case in cases:
        followers = subscriptions.active_for(TOPIC, str(case.id))
        if not followers:
            continue
        for subscription in followers:
            outbox.enqueue(subscription.subscriber.address, "回访：您反映的问题解决了吗？",
                           "complaints/followup_mail",
                           {"label": subscription.label, "answers": VERDICTS,
                            "days": days}, kind="followup",
                           subscriber_id=subscription.subscriber_id,
                           subscription_id=subscription.id, token_purpose=TOKEN_PURPOSE,
                           token_ref=str(case.id), now=now)
            made += 1
        case.events.append(CaseEvent(type=EventType.FOLLOWUP, public=False, at=now,
                                     text=f"已发邮件回访（{len(followers)} 个关注邮箱）"))
    return made


class Link(NamedTuple):
    """What a follow-up link's page shows: the case it is for, and the reporter's answer so
    far (None: not answered yet)."""

    case_id: int
    answer: str | None


def link_for(token: str) -> Link | None:
    """The case a follow-up link is for and its answer, or None for a wrong link: two small
    statements (the token's case, the case's latest answer), no case or event loaded."""
    if not tokens.plausible(token):
        return None
    ref = db.session.scalar(select(Token.ref).where(tokens.matches(token, TOKEN_PURPOSE)))
    if ref is None or not ref.isascii() or not ref.isdigit() or len(ref) > 18:
        return None
    latest = (select(CaseEvent.text).where(CaseEvent.case_id == Case.id,
                                           CaseEvent.type == EventType.VERDICT)
              .order_by(CaseEvent.id.desc()).limit(1).scalar_subquery())
    row = db.session.execute(select(Case.id, latest).where(Case.id == int(ref))).first()
    if row is None:
        return None
    return Link(row[0], row[1].removeprefix(VERDICT_PREFIX) if row[1] is not None else None)


#: The case a follow-up link names.
_REF_SQL = "SELECT ref FROM notify_token WHERE hash = ? AND purpose = ?"
#: What a follow-up link's page shows, and its version: the link, whether its case exists,
#: the case's latest event and the reporter's latest answer.
_STATE_SQL = ("SELECT t.ref, (SELECT count(*) FROM complaint_case c WHERE c.id = ?),"
              " (SELECT max(e.id) FROM complaint_event e WHERE e.case_id = ?),"
              " (SELECT e.text FROM complaint_event e WHERE e.case_id = ? AND e.type = ?"
              " ORDER BY e.id DESC LIMIT 1)"
              " FROM notify_token t WHERE t.hash = ? AND t.purpose = ?")

LinkState = tuple[tuple[object, ...], ...]


def linked_case(token: str) -> int | None:
    """The id of the case a follow-up link names (it may no longer exist), or None for a
    wrong link; one plain statement."""
    if not tokens.plausible(token):
        return None
    rows = plain_rows(_REF_SQL, (tokens.digest(token), TOKEN_PURPOSE))
    ref = str(rows[0][0]) if rows and rows[0][0] is not None else ""
    return int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 18 else None


def link_state(token: str, case_id: int) -> LinkState:
    """Everything the page of a follow-up link for case ``case_id`` shows, read with one plain
    statement: the version of the page kept for that link. It moves with any event of the
    case (the reporter's answer above all) and is empty once the link no longer works."""
    if not tokens.plausible(token):
        return ()
    return plain_rows(_STATE_SQL, (case_id, case_id, case_id, EventType.VERDICT.value,
                                   tokens.digest(token), TOKEN_PURPOSE))


def link_from(state: LinkState, case_id: int) -> Link | None:
    """The link ``link_state`` read, or None when it names no case any more."""
    if not state or state[0][0] != str(case_id) or not state[0][1]:
        return None
    text = state[0][3]
    return Link(case_id, str(text).removeprefix(VERDICT_PREFIX) if text is not None else None)


def case_for(link: Link) -> Case:
    """The linked case with its events, to record the answer."""
    return db.session.get_one(Case, link.case_id, options=[selectinload(Case.events)])


def answered(case: Case) -> str | None:
    """The reporter's answer to the follow-up, if they gave one."""
    for event in reversed(case.events):
        if event.type is EventType.VERDICT:
            return event.text.removeprefix(VERDICT_PREFIX)
    return None


def record_answer(case: Case, answer: str, now: datetime | None = None) -> None:
    """Keep the reporter's answer (once); "没有解决" reopens the case, with the answer it had
    attached, for the same unit and a new deadline.

    :raise CaseError: not one of the three answers, or answered before.
    """
    if answer not in VERDICTS:
        raise CaseError("请选择一个回答", "answer")
    if answered(case) is not None:
        raise CaseError("已经收到您的回答，谢谢。", "answer")
    now = now or utcnow()
    label = VERDICTS[answer]
    case.events.append(CaseEvent(type=EventType.VERDICT, text=VERDICT_PREFIX + label,
                                 public=True, at=now))
    _public_record("complaint_verdict", case, label)
    if answer == "unresolved":
        reply = next((e.text for e in reversed(case.events) if e.type is EventType.REPLY), "")
        case.status, case.closed_at, case.updated_at = Status.IN_PROGRESS, None, now
        case.deadline = reply_deadline(now)
        case.events.append(CaseEvent(
            type=EventType.REOPEN, status=Status.IN_PROGRESS, at=now, public=True,
            text=f"群众回访表示问题没有解决，案件重新办理。原答复：{reply}"[:4000]))
    db.session.commit()
