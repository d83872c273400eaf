"""Delivery proof: staff start and record a delivery, the household confirms it with the code
printed on the delivery slip (kept only as an HMAC), or a second staff member countersigns.

Each step is one transaction on the need's lock (see ``pledges.py``), conditional on the
pledge's state, settled and audit-logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select, update

from sunshine import pagecache
from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.database import rowcount, utcnow
from sunshine.extensions import db
from sunshine.matching.common import MatchingError, add_event, check_handler
from sunshine.matching.models import Need, Pledge, PledgeState
from sunshine.matching.pledges import lock_need, settle

CODE_DIGITS = 12
_NO_SYNC = {"synchronize_session": False}


def _village(need_id: int) -> str:
    return db.session.scalar(select(Need.village_code).where(Need.id == need_id)) or ""



def _pepper() -> bytes:
    """``DELIVERY_CODE_PEPPER``, else derived from the secret key (set it in production, so
    that a new secret key does not void the codes on slips already handed out)."""
    configured = current_app.config.get("DELIVERY_CODE_PEPPER")
    if configured:
        return str(configured).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sunshine-matching-v1",
                info=b"delivery slip code").derive(secret)


def normalise_code(text: str) -> str | None:
    """Twelve ASCII digits (spaces and dashes ignored), or None: junk costs no query."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    digits = "".join(ch for ch in text if ch not in " -\u3000\t")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


def code_hash(code: str) -> str | None:
    digits = normalise_code(code)
    if digits is None:
        return None
    return hmac.new(_pepper(), digits.encode(), hashlib.sha256).hexdigest()


def _step(actor: User, pledge_row: Pledge, from_states: tuple[PledgeState, ...],
          values: dict[str, Any], event: str | None, action: str, now: datetime) -> None:
    """One staff step on a pledge: conditional on its state, settled, logged, committed."""
    village = _village(pledge_row.need_id)
    check_handler(actor, village)
    try:
        lock_need(pledge_row.need_id)
        changed = rowcount(db.session.execute(
            update(Pledge).where(Pledge.id == pledge_row.id,
                                 Pledge.state.in_([s.value for s in from_states]))
            .values(**values).execution_options(**_NO_SYNC)))
        if not changed:
            raise MatchingError("这份认领的状态已经变化，请刷新页面后再操作", status=409)
        if event:
            add_event(pledge_row.need_id, event, now, pledge_id=pledge_row.id)
        settle(pledge_row.need_id, now)
        pagecache.changed("matching", village)
        record(action, actor, "matching_pledge", pledge_row.id, village)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def start_delivery(staff: User, pledge_row: Pledge, now: datetime | None = None) -> None:
    """The donor's goods or payment are on their way: the pledge no longer expires."""
    now = now or utcnow()
    _step(staff, pledge_row, (PledgeState.ACTIVE,),
          {"state": PledgeState.DELIVERING.value, "delivery_started_at": now},
          f"开始配送：{pledge_row.item.name} {pledge_row.amount_text}", "matching.delivery_start",
          now)


def record_delivery(staff: User, pledge_row: Pledge, now: datetime | None = None) -> str:
    """Staff handed the goods over: a new slip code (printed once, kept only hashed) for the
    household to confirm with. Again on a delivered pledge, it replaces a lost slip's code."""
    now = now or utcnow()
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    first = pledge_row.state != PledgeState.DELIVERED.value
    _step(staff, pledge_row, (PledgeState.ACTIVE, PledgeState.DELIVERING, PledgeState.DELIVERED),
          {"state": PledgeState.DELIVERED.value, "delivered_at": now, "delivered_by": staff.id,
           "delivery_started_at": pledge_row.delivery_started_at or now,
           "code_hash": code_hash(code)},
          f"已送达：{pledge_row.item.name} {pledge_row.amount_text}，等待受助户确认"
          if first else None,
          "matching.delivery_record" if first else "matching.slip_reprint", now)
    return code


def countersign(staff: User, pledge_row: Pledge, now: datetime | None = None) -> None:
    """A second staff member (not the one who recorded the delivery) confirms it.

    :raise MatchingError: the same person who recorded the delivery.
    """
    if pledge_row.delivered_by == staff.id:
        raise MatchingError("会签须由登记送达以外的另一名工作人员进行")
    now = now or utcnow()
    _step(staff, pledge_row, (PledgeState.DELIVERED,),
          {"state": PledgeState.CONFIRMED.value, "confirmed_at": now, "confirmed_by": staff.id,
           "confirm_method": "countersign", "code_hash": None},
          f"受助户已收到 {pledge_row.item.name} {pledge_row.amount_text}（工作人员会签确认）",
          "matching.countersign", now)


def confirm_with_code(code: str, now: datetime | None = None) -> Pledge | None:
    """The household confirms receipt with the slip's code; None for a wrong or used code
    (the same answer for both)."""
    digest = code_hash(code)
    if digest is None:
        return None
    found = db.session.scalar(select(Pledge).where(Pledge.code_hash == digest,
                                                   Pledge.state == PledgeState.DELIVERED.value))
    if found is None:
        return None
    now = now or utcnow()
    try:
        lock_need(found.need_id)
        changed = rowcount(db.session.execute(
            update(Pledge).where(Pledge.id == found.id, Pledge.code_hash == digest,
                                 Pledge.state == PledgeState.DELIVERED.value)
            .values(state=PledgeState.CONFIRMED.value, confirmed_at=now, confirm_method="code",
                    code_hash=None).execution_options(**_NO_SYNC)))
        if not changed:
            db.session.rollback()
            return None
        add_event(found.need_id, f"受助户已收到 {found.item.name} {found.amount_text}"
                                 "（凭送达单确认码确认）", now, pledge_id=found.id)
        settle(found.need_id, now)
        pagecache.changed("matching", _village(found.need_id))
        record("matching.confirm_code", None, "matching_pledge", found.id, _village(found.need_id))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return db.session.get(Pledge, found.id)
