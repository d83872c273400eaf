"""Permissions on every back-office URL: anonymous users are sent to the login page, public
accounts get 403, and staff see only their own region's subtree."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.accounts.models import Role, User
from sunshine.audit import record
from sunshine.extensions import db
from tests.conftest import COUNTY_PREFIX, OTHER_PREFIX
from tests.factories import make_user

IGNORED_METHODS = {"HEAD", "OPTIONS"}
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^:<>]+)>")


def admin_urls(app: Flask, values: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(method, URL) for every rule under /admin, arguments filled from ``values`` or "1"."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        url = ARGUMENT.sub(lambda m: values.get(m.group(1), "1"), rule.rule)
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            yield method, url


@pytest.fixture
def urls(app: Flask, regions: dict[str, str]) -> list[tuple[str, str]]:
    target = make_user("target-staff", Role.STAFF, regions["other_county"])
    found = list(admin_urls(app, {"code": regions["other_county"], "user_id": str(target.id)}))
    # The foundation has at least these; later features only add to the list.
    paths = {url for _, url in found}
    assert {"/admin/", "/admin/users/", "/admin/users/new", "/admin/audit/",
            "/admin/regions/"} <= paths, paths
    return found


def request(client: FlaskClient, method: str, url: str) -> object:
    return client.open(url, method=method, data={} if method != "GET" else None)


def test_every_admin_url_sends_anonymous_users_to_login(client: FlaskClient,
                                                        urls: list[tuple[str, str]]) -> None:
    for method, url in urls:
        response = request(client, method, url)
        assert response.status_code in (302, 303), (method, url, response.status_code)
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login", (method, url, location)
        if method == "GET":
            assert parse_qs(location.query).get("next") == [url], (url, location.query)


def test_anonymous_users_see_nothing_of_the_back_office(client: FlaskClient,
                                                        urls: list[tuple[str, str]]) -> None:
    for method, url in urls:
        body = request(client, method, url).get_data(as_text=True)
        for secret in ("target-staff", "操作日志", "账号管理"):
            assert secret not in body, (method, url, secret)


@pytest.mark.parametrize("role", [Role.DONOR, Role.SELLER])
def test_public_accounts_get_403_everywhere(urls: list[tuple[str, str]],
                                            client_for: Callable[..., FlaskClient],
                                            role: Role) -> None:
    make_user(f"public-{role.value}", role, None)
    client = client_for(f"public-{role.value}")
    for method, url in urls:
        response = request(client, method, url)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "没有权限" in response.get_data(as_text=True)


@pytest.fixture
def county_staff(regions: dict[str, str], client_for: Callable[..., FlaskClient]) -> FlaskClient:
    make_user("staff-a", Role.STAFF, regions["county"])
    return client_for("staff-a")


def test_county_staff_is_kept_to_its_county(county_staff: FlaskClient,
                                            regions: dict[str, str]) -> None:
    forbidden = ["/admin/users/", "/admin/users/new",
                 f"/admin/regions/{regions['other_county']}",
                 f"/admin/regions/{regions['far_county']}",
                 f"/admin/regions/{regions['province']}",
                 f"/admin/regions/{regions['city']}",
                 f"/admin/regions/{OTHER_PREFIX}101000",  # a town of the other county
                 f"/admin/regions/{OTHER_PREFIX}101201"]  # a village of the other county
    for url in forbidden:
        response = county_staff.get(url)
        assert response.status_code == 403, (url, response.status_code)
        assert "没有权限" in response.get_data(as_text=True)
    allowed = ["/admin/", "/admin/audit/", "/admin/regions/",
               f"/admin/regions/{regions['county']}", f"/admin/regions/{regions['town']}",
               f"/admin/regions/{regions['village']}"]
    for url in allowed:
        assert county_staff.get(url).status_code == 200, url


def test_county_staff_cannot_change_accounts(county_staff: FlaskClient,
                                             regions: dict[str, str]) -> None:
    other = make_user("staff-b", Role.STAFF, regions["other_county"])
    same = make_user("staff-c", Role.STAFF, regions["county"])
    before = db.session.query(User).count()
    for target in (other, same):
        assert county_staff.post(f"/admin/users/{target.id}/toggle").status_code == 403
    response = county_staff.post("/admin/users/new", data={
        "username": "sneaky", "role": "admin", "password": "Zq8!mNp2#kLw-7"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.query(User).count() == before
    assert other.active and same.active


def test_county_staff_page_lists_only_its_region(county_staff: FlaskClient,
                                                 regions: dict[str, str]) -> None:
    make_user("staff-b", Role.STAFF, regions["other_county"])
    body = county_staff.get(f"/admin/regions/{regions['county']}").get_data(as_text=True)
    assert "staff-a" in body and "staff-b" not in body


def test_town_staff_is_kept_to_its_town(regions: dict[str, str],
                                        client_for: Callable[..., FlaskClient]) -> None:
    make_user("staff-town", Role.STAFF, regions["town"])
    client = client_for("staff-town")
    assert client.get(f"/admin/regions/{regions['town']}").status_code == 200
    assert client.get(f"/admin/regions/{regions['village']}").status_code == 200
    assert client.get("/admin/regions/").status_code == 200
    for code in (regions["county"], regions["province"], f"{COUNTY_PREFIX}102000",
                 f"{COUNTY_PREFIX}102201"):
        assert client.get(f"/admin/regions/{code}").status_code == 403, code


def test_unknown_regions_answer_404_not_500(county_staff: FlaskClient) -> None:
    for code in (f"{COUNTY_PREFIX}999000", "999999999999", "abc", "4501", "0" * 12):
        assert county_staff.get(f"/admin/regions/{code}").status_code in (403, 404), code


def test_admin_sees_everything(regions: dict[str, str],
                               client_for: Callable[..., FlaskClient]) -> None:
    make_user("root-admin", Role.ADMIN, None)
    client = client_for("root-admin")
    for url in ("/admin/", "/admin/users/", "/admin/users/new", "/admin/audit/",
                f"/admin/regions/{regions['province']}", f"/admin/regions/{regions['far_county']}"):
        assert client.get(url).status_code == 200, url


def test_audit_log_is_scoped_to_the_staff_region(county_staff: FlaskClient,
                                                 regions: dict[str, str],
                                                 client_for: Callable[..., FlaskClient]) -> None:
    markers = {"own-obj-7781": regions["county"], "village-obj-7782": regions["village"],
               "other-obj-7783": regions["other_county"], "province-obj-7784": regions["province"],
               "none-obj-7785": None}
    for marker, code in markers.items():
        record("fund_updated", None, "fund", marker, code, "说明")
    db.session.commit()
    pages = [county_staff.get("/admin/audit/").get_data(as_text=True),
             county_staff.get("/admin/audit/?action=fund_updated").get_data(as_text=True),
             county_staff.get("/admin/").get_data(as_text=True)]
    for body in pages:
        assert "own-obj-7781" in body and "village-obj-7782" in body
        for secret in ("other-obj-7783", "province-obj-7784", "none-obj-7785"):
            assert secret not in body
    # Login failures on another county's account are that county's business.
    make_user("staff-b", Role.STAFF, regions["other_county"])
    county_staff.application.test_client().post(
        "/login", data={"login": "staff-b", "password": "wrong-password-0"})
    body = county_staff.get("/admin/audit/?action=login_failed").get_data(as_text=True)
    assert "staff-b" not in body
    # The province admin sees all of it.
    make_user("root-admin", Role.ADMIN, None)
    body = client_for("root-admin").get("/admin/audit/").get_data(as_text=True)
    for marker in markers:
        assert marker in body
