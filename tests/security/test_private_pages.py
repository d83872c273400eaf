"""Pages about one visitor are kept by no cache: every GET page that sends an anonymous
visitor to log in (or refuses them) answers its owner with ``Cache-Control: no-store``, so
that neither a shared proxy nor the browser, for the next person at the same computer, keeps
a seller's buyers, a donor's pledges or a cadre's cases."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter

from sunshine.accounts.models import Role
from sunshine.market import inquiries
from sunshine.market.models import Listing
from tests.factories import make_user
from tests.market.conftest import make_listing, make_seller

#: A page of each kind that must be among those checked (the sweep is not vacuous).
KNOWN = {"/help/mine", "/market/my/", "/market/my/profile", "/market/my/new",
         "/market/my/1/edit", "/market/my/inquiries/1", "/account/password", "/admin/"}


def _paths(app: Flask) -> list[str]:
    """Every GET rule, ids filled with 1 (the first row of each table in this database)."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        path = rule.rule
        for name, converter in rule._converters.items():  # noqa: SLF001
            if not isinstance(converter, IntegerConverter):
                break
            path = path.replace(f"<int:{name}>", "1")
        else:
            found.append(path)
    return sorted(found)


def test_every_page_behind_a_login_is_no_store(app: Flask, client: FlaskClient, regions,
                                              client_for) -> None:
    staff = make_user("staff-county", Role.STAFF, regions["county"])
    make_user("root-admin", Role.ADMIN, None)
    make_user("donor-a", Role.DONOR, None)
    seller = make_user("coop", Role.SELLER, None)
    make_seller(seller, verify_by=staff)
    listing = make_listing(seller)
    assert listing.id == 1 and isinstance(listing, Listing)
    assert inquiries.send_inquiry(listing, "10斤", "buyer@example.org", "包邮吗").id == 1
    private = []
    for path in _paths(app):
        answer = client.get(path)
        login = answer.status_code in (301, 302, 303) and "/login" in answer.location
        if login or answer.status_code in (401, 403):
            private.append(path)
    assert KNOWN <= set(private), KNOWN - set(private)
    visitors = [client_for(name) for name in ("coop", "donor-a", "staff-county", "root-admin")]
    seen = set()
    for path in private:
        for visitor in visitors:
            answer = visitor.get(path)
            if answer.status_code == 200:
                seen.add(path)
                assert answer.headers.get("Cache-Control") == "no-store", path
                assert "ETag" not in answer.headers, path
    assert KNOWN <= seen, KNOWN - seen
