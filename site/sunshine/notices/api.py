"""The JSON API (/api/v1/notices, /api/v1/notices/<id>) and the sitemap entries.
Only public fields: masked names, never an archive number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.notices import periods, public, queries
from sunshine.notices.models import Notice, NoticeKind, NoticeState
from sunshine.notices.public import Card, Shown, last_change
from sunshine.notices.views import notice_day
from sunshine.pagecache.data import keep
from sunshine.web import page_arg, per_page_arg

api_bp = Blueprint("notices_api", __name__, url_prefix="/api/v1")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def api_item(notice: Card | Shown, entries: int, now: datetime) -> dict[str, Any]:
    root = request.url_root.rstrip("/")
    state = periods.state_of(notice, now)
    return {
        "id": notice.id, "kind": notice.kind.value, "kind_label": notice.kind.label,
        "title": notice.title,
        "region": {"code": notice.region_code, "name": notice.region.name},
        "start": notice.start_on.isoformat(), "end": notice.end_on.isoformat(),
        "state": state.value, "state_label": state.label,
        "days_left": periods.days_left(notice, now) if state is NoticeState.OPEN else 0,
        "entries": entries,
        "objections": {"received": notice.objections[0], "resolved": notice.objections[1]},
        "published": _iso(notice.published_at), "announced": _iso(notice.announced_at),
        "withdrawn": _iso(notice.withdrawn_at),
        "withdrawn_reason": notice.withdrawn_reason or None,
        "result_of": notice.result_of_id,
        "url": root + notice.url, "print_url": f"{root}{notice.url}/print",
    }


@api_bp.get("/notices")
@keep(("notices", None), ("complaints", None), extra=notice_day)
def api_notices() -> Response:
    """Published notices, open first; ?kind=, ?region=, ?state=, ?page=, ?per_page=."""
    per_page = per_page_arg(50)
    now = periods.now()
    page = public.cards_page(queries.parse_filters(request.args), page_arg(), per_page, now)
    return jsonify(items=[api_item(n, n.entries, now) for n in page.items],
                   page=page.page, per_page=per_page, total=page.total)


@api_bp.get("/notices/<int:notice_id>")
@keep(("notices", None), ("complaints", None), extra=notice_day)
def api_notice(notice_id: int) -> tuple[Response, int] | Response:
    region = queries.public_region(notice_id)
    notice = public.shown(notice_id, region) if region is not None else None
    if notice is None:
        return jsonify(error="没有这条公示"), 404
    now = periods.now()
    item = api_item(notice, len(notice.entries), now)
    item["body_html"] = notice.body_html
    item["list"] = [{"position": e.position, "name": e.masked_name,
                     "village": {"code": e.village_code, "name": e.village.name},
                     "household_size": e.household_size, "reason": e.reason}
                    for e in notice.entries]
    item["records"] = [{"type": x.record_type, "id": x.record_id, "name": x.label,
                        "detail": x.detail, "url": request.url_root.rstrip("/") + x.url}
                       for x in notice.links]
    # A result announcement shows the rulings on the notice it closes.
    ruled = notice.kind is not NoticeKind.RESULT or notice.original is not None
    item["rulings"] = [{"about": o.entry.label if o.entry else None, "ruling": o.ruling_label,
                        "reason": o.reason, "ruled": _iso(o.ruled_at)}
                       for o in (notice.rulings if ruled else []) if o.resolved]
    item["result"] = notice.result.id if notice.result else None
    return jsonify(item)


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    rows = db.session.execute(select(Notice).where(Notice.published_at.is_not(None))
                              .order_by(Notice.id))
    return [("/notices/", None)] + [(n.url, last_change(n)) for n in rows.scalars()]
