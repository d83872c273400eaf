"""The JSON API (/api/v1/requests, /api/v1/requests/<id>): the archive's public fields, never
who asked."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sunshine.clock import today
from sunshine.pagecache.data import keep
from sunshine.requests import files, listing, queries, services
from sunshine.requests.models import InfoRequest
from sunshine.web import page_arg, per_page_arg

api_bp = Blueprint("requests_api", __name__, url_prefix="/api/v1")


def api_item(info: InfoRequest | listing.Listed, day: Any, root: str = "") -> dict[str, Any]:
    root = root or request.url_root.rstrip("/")
    basis = info.basis_entry
    office = info.office
    # As ``queries.shown_question``: the question only with the applicant's consent.
    question = info.public_body if info.consent_to_publish else ""
    return {
        "id": info.id, "title": info.public_title,
        "office": {"key": office.key, "name": office.name,
                   "region": {"code": info.office_region_code,
                              "name": info.region_name}},
        "received": info.received_at.isoformat(), "deadline": info.deadline.isoformat(),
        "status": info.status.value, "status_label": info.status.label,
        "overdue": info.overdue(day), "was_overdue": info.was_overdue,
        "extension_days": info.extension_days,
        "outcome": info.outcome.value if info.outcome else None,
        "outcome_label": info.outcome.label if info.outcome else None,
        "basis": f"{basis.label}（《政府信息公开条例》{basis.article}）" if basis else None,
        "answered": info.answered_at.isoformat() if info.answered_at else None,
        "answered_on_time": info.answered_on_time,
        "about": root + info.about if info.about else None,
        "question": question or None,
        "url": f"{root}/requests/{info.id}",
    }


@api_bp.get("/requests")
@keep(("requests", None), extra=today)
def api_requests() -> Response:
    """The archive, newest first; ?region=, ?office=, ?status=, ?outcome=, ?about=."""
    per_page = per_page_arg(50)
    page = listing.page_of(queries.parse_filters(request.args), page_arg(), per_page)
    day = today()
    root = request.url_root.rstrip("/")  # worked out once, not per item
    return jsonify(items=[api_item(r, day, root) for r in page.items], page=page.page,
                   per_page=per_page, total=page.total)


@api_bp.get("/requests/<int:request_id>")
@keep(("requests", None), extra=today)
def api_request(request_id: int) -> tuple[Response, int] | Response:
    info = queries.get_public(request_id)
    if info is None:
        return jsonify(error="没有这个申请"), 404
    item = api_item(info, today())
    item["answer"] = queries.shown_answer(info) or None
    item["withheld"] = info.withheld or None
    item["referred_to"] = info.referred_to or None
    item["history"] = [{"at": e.at.isoformat(), "text": e.text}
                       for e in services.public_history(info)]
    item["files"] = [{"name": f.name, "content_type": f.content_type, "size": f.size,
                      "url": files.public_url(f, external=True)}
                     for f in files.public_files(info)]
    return jsonify(item)
