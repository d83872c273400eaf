"""deny(): a refused reach into another region answers 403 and leaves one audit entry, and the
unfinished change of that request is not committed with it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sunshine.audit import AuditEntry, deny
from sunshine.extensions import db
from tests.conftest import SAMPLE
from tests.factories import make_user

OTHER_COUNTY = SAMPLE["other_county"]
#: ``probe`` adds a route, so each test has an app of its own.
pytestmark = pytest.mark.own_app


@pytest.fixture
def probe(app: Flask, regions: dict[str, str], client: FlaskClient) -> FlaskClient:
    """POST /probe/<id>: starts a change, then is refused for a record of another county."""

    @app.post("/probe/<int:record_id>")
    def probe_view(record_id: int) -> Any:
        db.session.add(AuditEntry(action="half_done"))
        deny("probe", record_id, OTHER_COUNTY)

    return client


def _entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_deny_answers_403_and_writes_one_audit_entry(probe: FlaskClient, login: Any) -> None:
    staff = make_user("staff-qx", region_code=SAMPLE["county"])
    login("staff-qx")
    before = len(_entries())
    response = probe.post("/probe/7")
    assert response.status_code == 403
    assert "没有权限" in response.get_data(as_text=True)
    entries = _entries()[before:]
    assert [(e.action, e.actor_id, e.actor_name, e.object_type, e.object_id, e.region_code,
             e.detail) for e in entries] == [
        ("permission_denied", staff.id, "staff-qx", "probe", "7", OTHER_COUNTY, "POST /probe/7")]


def test_an_anonymous_refusal_is_logged_without_an_actor(probe: FlaskClient) -> None:
    response = probe.post("/probe/8")
    assert response.status_code == 403
    [entry] = _entries()
    assert (entry.action, entry.actor_id, entry.actor_name, entry.object_id) == (
        "permission_denied", None, "", "8")
