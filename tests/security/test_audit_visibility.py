"""The audit log is read by role and module, not by region alone: every role against the audit
pages (the log, its filter, the dashboard's recent entries)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import sunshine
from sunshine.accounts.models import Role, User
from sunshine.audit import record
from sunshine.extensions import db
from sunshine.registry import registry
from tests.factories import make_user

STAFF_ADDRESS = "203.0.113.77"

#: marker (the entry's object id) → (action, actor, region key or None, who may read it)
ENTRIES: dict[str, tuple[str, str | None, str | None, set[str]]] = {
    "typed-username-401": ("login_failed", None, "county", {"admin"}),
    "colleague-login-402": ("login", "staff-colleague", "county", {"admin"}),
    "register-view-403": ("household_viewed", "staff-colleague", "county", {"admin", "staff"}),
    "id-search-404": ("id_number_searched", "staff-colleague", "county", {"admin", "staff"}),
    "identity-view-405": ("complaint_reporter_viewed", "oversight", "county",
                          {"admin", "oversight"}),
    "case-accepted-406": ("complaint_accepted", "staff-colleague", "county",
                          {"admin", "staff", "oversight"}),
    # An oversight account's entry stays oversight's, whatever its action.
    "oversight-denied-407": ("permission_denied", "oversight", "county",
                             {"admin", "oversight"}),
    "article-408": ("article_published", "editor-province", "county", {"admin", "editor"}),
    "fund-409": ("fund_created", "staff-colleague", "county", {"admin", "staff"}),
    "denied-410": ("permission_denied", "staff-colleague", "county", {"admin", "staff"}),
    "unregistered-411": ("no_such_action", "staff-colleague", "county", {"admin"}),
    "other-county-412": ("fund_created", "staff-other", "other_county", {"admin"}),
    "own-login-413": ("login", "editor-province", "province", {"admin", "editor"}),
}

#: role → the account that reads as that role
READERS = {"admin": "root-admin", "staff": "staff-county", "oversight": "oversight",
           "editor": "editor-province"}


@pytest.fixture
def logged(regions: dict[str, str]) -> None:
    make_user("root-admin", Role.ADMIN, None)
    make_user("staff-county", Role.STAFF, regions["county"])
    make_user("staff-colleague", Role.STAFF, regions["county"])
    make_user("staff-other", Role.STAFF, regions["other_county"])
    make_user("oversight", Role.OVERSIGHT, regions["province"])
    make_user("editor-province", Role.EDITOR, regions["province"])
    make_user("donor-1", Role.DONOR, None)
    for marker, (action, actor_name, region, _) in ENTRIES.items():
        actor = db.session.query(User).filter_by(username=actor_name).one() \
            if actor_name else None
        entry = record(action, actor, "thing", marker, regions[region] if region else None,
                       f"说明 {marker}")
        entry.address = STAFF_ADDRESS
    db.session.commit()


def _seen(body: str) -> set[str]:
    return {marker for marker in ENTRIES if marker in body}


@pytest.mark.parametrize("role", sorted(READERS))
def test_each_role_reads_only_its_modules(role: str, logged: None,
                                          client_for: Callable[..., FlaskClient]) -> None:
    client = client_for(READERS[role])
    expected = {marker for marker, (*_, readers) in ENTRIES.items() if role in readers}
    body = client.get("/admin/audit/").get_data(as_text=True)
    assert _seen(body) == expected
    # Naming a hidden action in the filter shows nothing more.
    for action in ("household_viewed", "complaint_reporter_viewed", "login_failed"):
        filtered = client.get(f"/admin/audit/?action={action}").get_data(as_text=True)
        assert _seen(filtered) <= expected, action
    # The dashboard's recent entries come from the same rule.
    assert _seen(client.get("/admin/").get_data(as_text=True)) <= expected


@pytest.mark.parametrize("role", sorted(READERS))
def test_addresses_are_for_the_administrator(role: str, logged: None,
                                             client_for: Callable[..., FlaskClient]) -> None:
    body = client_for(READERS[role]).get("/admin/audit/").get_data(as_text=True)
    assert (STAFF_ADDRESS in body) == (role == "admin")


def test_the_filter_offers_only_readable_actions(logged: None,
                                                 client_for: Callable[..., FlaskClient]) -> None:
    body = client_for("editor-province").get("/admin/audit/").get_data(as_text=True)
    assert 'value="article_published"' in body
    for hidden in ("household_viewed", "complaint_reporter_viewed", "login_failed",
                   "permission_denied", "fund_created"):
        assert f'value="{hidden}"' not in body


def test_public_accounts_read_no_log(logged: None,
                                     client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("donor-1")
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/").status_code == 403


def test_every_action_the_site_records_is_registered(app: Flask) -> None:
    """An unregistered action is read by the administrator alone, which is safe, but the staff
    of its module would lose sight of it: every action recorded in the code has readers."""
    source = Path(sunshine.__file__).parent
    named: set[str] = set()
    for path in source.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for first, other in re.findall(
                r'\brecord\(\s*"([a-z_.]+)"(?:\s+if\s[^"]*else\s+"([a-z_.]+)")?', text):
            named.update({first, other} - {""})
        named.update(re.findall(r'_public_record\(\s*"([a-z_.]+)"', text))
        named.update(re.findall(r'"([a-z_.]+)",\s*now\)', text))  # steps of cases and pledges
    assert len(named) > 60
    assert named - set(registry(app).audit_actions) == set()
