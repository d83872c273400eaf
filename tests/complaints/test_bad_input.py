"""Naughty strings and XSS payloads in every field of the public form and the tracking form:
stored exactly or refused with a Chinese 4xx, never a 5xx, never markup when staff open it."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlalchemy import select

from sunshine.complaints.models import Case
from sunshine.extensions import db
from tests.complaints.conftest import form_data
from tests.security.test_xss import injected, parse

HAN = re.compile(r"[\u4e00-\u9fff]")
TEXT_FIELDS = ("subject", "body", "unit_name")


def _latest() -> Case | None:
    db.session.expire_all()
    return db.session.scalar(select(Case).order_by(Case.id.desc()).limit(1))


def _check(response: Any, value: str, before: int | None) -> str:
    """'stored' or 'refused'; anything else fails."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (value, response.status_code)
    if response.status_code == 200 and "已收到您的" in body:
        case = _latest()
        assert case is not None and case.id != before
        return "stored"
    assert 400 <= response.status_code < 500, (value, response.status_code)
    assert HAN.search(body) and "Traceback" not in body, value
    assert "需要修改" in body or "无效" in body, (value, body[:300])
    return "refused"


def test_naughty_strings_are_stored_exactly_or_refused(app, client, regions,
                                                       naughty_strings: list[str]) -> None:
    outcomes: Counter[str] = Counter()
    for value in naughty_strings:
        before = _latest()
        data = form_data(app, **{f: value for f in TEXT_FIELDS})
        outcome = _check(client.post("/complaints/new", data=data), value,
                         before.id if before else None)
        outcomes[outcome] += 1
        if outcome == "stored":
            case = _latest()
            assert case is not None
            assert case.subject == value.strip() and case.body == value, value
            assert case.target_label == value.strip()
    assert outcomes["stored"] > 300 and outcomes["refused"] > 0, outcomes


def test_naughty_strings_in_choices_names_and_codes_never_fail(app, client, regions,
                                                               naughty_strings: list[str]
                                                               ) -> None:
    for value in naughty_strings[::12]:
        for field in ("kind", "category", "city", "county", "identity", "started",
                      "target_type", "target_id", "name", "phone"):
            data = form_data(app)
            if field in ("name", "phone"):
                data.update(identity="named", name="王秀英", phone="13912345678")
            data[field] = value
            response = client.post("/complaints/new", data=data)
            assert response.status_code < 500, (field, value)
        for path, field in (("/complaints/track", "code"), ("/complaints/track/rate", "rate-code"),
                            ("/complaints/track/reopen", "reopen-code")):
            response = client.post(path, data={field: value})
            assert response.status_code in (200, 400), (path, value)
        assert client.get("/complaints/stats", query_string={"region": value, "year": value}
                          ).status_code in (200, 404)
        assert client.get("/complaints/new", query_string={"region": value, "target": value}
                          ).status_code == 200


def test_xss_payloads_stay_text_for_the_public_and_for_staff(app, client, regions, users,
                                                             client_for,
                                                             xss_payloads: list[str]) -> None:
    staff = client_for("staff-county")
    client.post("/complaints/new", data=form_data(app))
    plain = _latest()
    assert plain is not None
    baseline = parse(staff.get(f"/admin/complaints/{plain.id}").get_data(as_text=True))
    list_baseline = parse(staff.get("/admin/complaints/").get_data(as_text=True))
    failures = []
    stored = 0
    for payload in xss_payloads:
        before = _latest()
        response = client.post("/complaints/new", data=form_data(
            app, **{f: payload for f in TEXT_FIELDS}))
        if _check(response, payload, before.id if before else None) != "stored":
            continue
        stored += 1
        case = _latest()
        assert case is not None and case.body == payload
        page = staff.get(f"/admin/complaints/{case.id}").get_data(as_text=True)
        problems = injected(baseline, parse(page))
        if problems:
            failures.append((payload, problems))
    assert stored > 200
    assert not failures, failures[:5]
    # The list shows many payload subjects at once (30 a page).
    listing = parse(staff.get("/admin/complaints/").get_data(as_text=True))
    assert not injected(list_baseline, listing)
