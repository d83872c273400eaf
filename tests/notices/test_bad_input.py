"""Naughty strings and XSS payloads in the objection form: stored exactly or refused with a
Chinese 4xx, never a 5xx, never markup for the public or for staff; junk in every other field
and in the filters never fails."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from sunshine.complaints.models import Case
from sunshine.extensions import db
from tests.notices.conftest import objection_data, published
from tests.security.test_xss import injected, parse

HAN = re.compile(r"[\u4e00-\u9fff]")


def _latest() -> Case | None:
    db.session.expire_all()
    return db.session.scalar(select(Case).order_by(Case.id.desc()).limit(1))


def _check(response: Any, value: str, before: int | None) -> str:
    """'stored' or 'refused'; anything else fails."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (value, response.status_code)
    if response.status_code == 200 and "已收到您的异议" in body:
        case = _latest()
        assert case is not None and case.id != before
        return "stored"
    assert response.status_code == 400, (value, response.status_code)
    assert HAN.search(body) and "Traceback" not in body, value
    assert "需要修改" in body, (value, body[:300])
    return "refused"


def test_naughty_strings_are_stored_exactly_or_refused(app, client, users, register,
                                                       clock, naughty_strings) -> None:
    notice = published(users["county"])
    outcomes: Counter[str] = Counter()
    for value in naughty_strings:
        before = _latest()
        response = client.post(f"/notices/{notice.id}/objection",
                               data=objection_data(app, body=value))
        outcome = _check(response, value, before.id if before else None)
        outcomes[outcome] += 1
        if outcome == "stored":
            assert _latest().body == value, value
    assert outcomes["stored"] > 300 and outcomes["refused"] > 0, outcomes


def test_naughty_strings_in_other_fields_and_filters_never_fail(app, client, users, register,
                                                               clock, naughty_strings) -> None:
    notice = published(users["county"])
    for value in naughty_strings[::7]:
        for field in ("entry", "identity", "name", "phone", "started", "website"):
            data = objection_data(app)
            if field in ("name", "phone"):
                data.update(identity="named", name="王秀英", phone="13912345678")
            data[field] = value
            response = client.post(f"/notices/{notice.id}/objection", data=data)
            assert response.status_code in (200, 400), (field, value)
        for args in ({"kind": value}, {"state": value}, {"region": value}, {"page": value}):
            assert client.get("/notices/", query_string=args).status_code == 200
            assert client.get("/notices/export.csv", query_string=args).status_code == 200
            assert client.get("/api/v1/notices", query_string=args).status_code == 200
        assert client.get("/feeds/notices.xml", query_string={"region": value}).status_code \
            == 200
        assert client.get(f"/notices/{notice.id}", query_string={"entry": value}
                          ).status_code == 200


def test_xss_payloads_stay_text_for_the_public_and_for_staff(app, client, users, register,
                                                             clock, client_for,
                                                             xss_payloads) -> None:
    notice = published(users["county"])
    staff = client_for("staff-county")
    client.post(f"/notices/{notice.id}/objection", data=objection_data(app))
    baseline = parse(staff.get(f"/admin/notices/{notice.id}").get_data(as_text=True))
    per_objection = baseline.tags - parse(_empty_manage(app, users, staff)).tags
    public_baseline = parse(client.get(f"/notices/{notice.id}").get_data(as_text=True))
    stored = 0
    for payload in xss_payloads:
        before = _latest()
        response = client.post(f"/notices/{notice.id}/objection",
                               data=objection_data(app, body=payload))
        if _check(response, payload, before.id if before else None) == "stored":
            stored += 1
        # The form re-shown with errors keeps the payload as text.
        assert not injected(public_baseline, parse(response.get_data(as_text=True)),
                            expected=_expected(public_baseline, response)), payload
    assert stored > 200
    count = db.session.scalar(select(func.count()).select_from(Case))
    page = parse(staff.get(f"/admin/notices/{notice.id}").get_data(as_text=True))
    expected = baseline.tags + Counter({t: n * (count - 1) for t, n in per_objection.items()})
    problems = injected(baseline, page, expected)
    assert not problems, problems[:10]
    assert not injected(public_baseline, parse(client.get(f"/notices/{notice.id}")
                                               .get_data(as_text=True)))


def _empty_manage(app, users, staff) -> str:
    """The manage page of a notice without objections, to learn what one objection adds."""
    other = published(users["county"], title="另一条公示")
    return staff.get(f"/admin/notices/{other.id}").get_data(as_text=True)


def _expected(baseline, response) -> Counter[str]:
    """The answer page is the code page (short) or the form again: never more tags of a
    dangerous kind than the notice page itself."""
    return baseline.tags
