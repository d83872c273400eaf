"""JSON at /api/v1/needs and /api/v1/needs/<id>, and the sitemap entries.

Public fields only: never the household, its members or a donor's contact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.matching import listing, needpage, pledges, queries
from sunshine.matching.models import PUBLIC_STATES, Need, NeedItem
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.records.money import from_fen, money_text
from sunshine.web import page_arg, per_page_arg

api_bp = Blueprint("matching_api", __name__, url_prefix="/api/v1")


def _line(item: NeedItem | queries.Line) -> dict[str, Any]:
    if item.money:
        return {"id": item.id, "name": item.name, "unit": "元",
                "needed": money_text(from_fen(item.needed)),
                "pledged": money_text(from_fen(item.pledged)),
                "remaining": money_text(from_fen(item.remaining))}
    return {"id": item.id, "name": item.name, "unit": item.unit, "needed": item.needed,
            "pledged": item.pledged, "remaining": item.remaining,
            "estimated_price": money_text(item.price) if item.price is not None else None}


def api_item(need: Need | queries.Card | needpage.NeedPage, village: str, place: str
             ) -> dict[str, Any]:
    root = request.url_root.rstrip("/")
    data: dict[str, Any] = {
        "id": need.id, "title": need.title, "category": need.category,
        "region": {"code": need.village_code, "name": village, "place": place},
        "urgency": need.urgency, "urgency_label": need.urgency_label,
        "deadline": need.deadline.isoformat(), "state": need.state,
        "state_label": need.status.label, "kind": "amount" if need.money else "items",
        "progress_percent": need.percent,
        "published": need.published_at.isoformat() if need.published_at else None,
        "url": root + need.url,
    }
    if need.money:
        line = _line(need.items[0])
        data["amount"] = {k: line[k] for k in ("needed", "pledged", "remaining")}
    else:
        data["items"] = [_line(i) for i in need.items]
        data["quantity"] = {"needed": need.needed, "pledged": need.pledged,
                            "remaining": need.remaining}
    return data


@api_bp.get("/needs")
@keep(("matching", None), before=pledges.maybe_expire)
def api_needs() -> Response:
    """A page of the list, remembered per worker like the list's page (``listing``)."""
    filters = queries.parse_filters(request.args)
    per_page, page = per_page_arg(50), page_arg()
    root = request.url_root.rstrip("/")
    at = memo.versions(listing.scopes(filters.region))  # before any row is read
    key = (filters.category, filters.region, filters.urgency, filters.state, page, per_page, root)
    return jsonify(memo.remember("help-api-list", key, at,
                                 lambda: _needs(filters, page, per_page)))


def _needs(filters: queries.Filters, page: int, per_page: int) -> dict[str, Any]:
    total = db.session.scalar(queries.count_query(filters)) or 0
    needs = queries.with_lines(db.session.execute(
        queries.card_query(filters).limit(per_page).offset((page - 1) * per_page)))
    names = queries.region_names(n.village_code for n in needs)
    return {"items": [api_item(n, names.get(n.village_code, ""),
                               queries.place_of(n.village_code, names)) for n in needs],
            "page": page, "per_page": per_page, "total": total}


@api_bp.get("/needs/<int:need_id>")
@keep(("matching", None), before=pledges.maybe_expire)
def api_need(need_id: int) -> tuple[Response, int] | Response:
    """One need, from the figures its page reads (``needpage``)."""
    pledges.expire_due(need_id=need_id)
    need = needpage.need_page(need_id)
    if need is None:
        return jsonify(error="没有这个需求"), 404
    data = api_item(need, need.village_name, need.place)
    root = request.url_root.rstrip("/")
    data["story_html"] = str(need.story)
    data["thanks"] = need.thanks_note or None
    data["photos"] = [f"{root}/help/photos/{p.id}/full" for p in need.photos]
    data["pledges"] = [{"donor": p.display_name, "item": p.item_name, "state": p.state,
                        "state_label": p.status.label,
                        "quantity": money_text(from_fen(p.quantity)) if p.money else p.quantity,
                        "at": p.created_at.isoformat()} for p in need.pledges]
    data["history"] = [{"at": e.at.isoformat(), "text": e.text} for e in need.events]
    return jsonify(data)


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    rows = db.session.execute(select(Need.id, Need.updated_at).where(
        Need.state.in_([s.value for s in PUBLIC_STATES])).order_by(Need.id))
    return [("/help/", None), ("/help/thanks", None),
            *[(f"/help/{need_id}", updated) for need_id, updated in rows]]
