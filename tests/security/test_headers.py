"""Security headers on every kind of response, cookie flags, and Chinese error pages that never
show a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, abort, request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from sunshine.accounts.models import Role
from tests.apps import PASSWORD
from tests.conftest import SAMPLE
from tests.factories import make_user
from tests.security.conftest import assert_chinese_page

MAX_BODY = 8 * 1024


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"MAX_CONTENT_LENGTH": MAX_BODY, "MAX_FORM_MEMORY_SIZE": MAX_BODY // 2,
            "RATELIMIT_ENABLED": True}


@pytest.fixture
def failing_routes(app: Flask) -> Flask:
    """Routes that fail on purpose, added after create_app like a buggy feature would be
    (so the tests that use them are marked ``own_app``)."""

    @app.get("/_test/boom")
    def boom() -> str:
        raise RuntimeError("secret-internal-detail /etc/passwd")

    @app.get("/api/v1/_test/boom")
    def api_boom() -> str:
        raise KeyError("secret-internal-detail")

    @app.get("/_test/db-boom")
    def db_boom() -> str:
        from sqlalchemy import text

        from sunshine.extensions import db

        db.session.execute(text("SELECT * FROM no_such_table_secret"))
        return "unreachable"

    @app.post("/_test/bad-request")
    def bad_request() -> str:
        return request.form["missing-field"]

    @app.get("/_test/abort/<int:code>")
    def abort_with(code: int) -> str:
        abort(code)

    return app


def assert_security_headers(response: TestResponse, what: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.strip() for part in csp.split(";")}
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in directives, (what, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy"), what
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (what, csp)


@pytest.mark.own_app
def test_every_kind_of_response_has_the_headers(app: Flask, client: FlaskClient,
                                                regions: dict[str, str],
                                                failing_routes: Flask) -> None:
    checks = [
        ("GET", "/", 200), ("GET", f"/search?q={SAMPLE['city_name']}", 200),
        ("GET", "/stats/", 200),
        ("GET", "/login", 200), ("GET", "/register", 200),
        ("GET", f"/api/v1/regions/{SAMPLE['province']}", 200), ("GET", "/api/v1/openapi.json", 200),
        ("GET", "/api/v1/regions/999999999999", 404),
        ("GET", "/static/css/site.css", 200), ("GET", "/static/img/logo.svg", 200),
        ("GET", "/static/no-such-file.css", 404),
        ("GET", "/robots.txt", 200), ("GET", "/sitemap.xml", 200), ("GET", "/healthz", 200),
        ("GET", "/feeds/notices.xml", 200), ("GET", "/no-such-page", 404),
        ("GET", "/admin/", 302), ("GET", "/logout", 405), ("POST", "/login", 400),
        ("GET", "/_test/boom", 500), ("GET", "/api/v1/_test/boom", 500),
    ]
    for method, path, status in checks:
        with client.open(path, method=method) as response:
            assert response.status_code == status, (path, response.status_code)
            assert_security_headers(response, path)
    # A HEAD request and an OPTIONS request too.
    assert_security_headers(client.head("/"), "HEAD /")
    assert_security_headers(client.options("/login"), "OPTIONS /login")


def test_json_api_is_served_as_json_with_headers(client: FlaskClient,
                                                 regions: dict[str, str]) -> None:
    response = client.get(f"/api/v1/regions/{SAMPLE['province']}")
    assert response.mimetype == "application/json"
    assert_security_headers(response, "api")


def test_back_office_pages_are_not_cached(client_for: Callable[..., FlaskClient]) -> None:
    make_user("root-admin", Role.ADMIN, None)
    client = client_for("root-admin")
    for path in ("/admin/", "/admin/users/", "/login", "/account/password"):
        assert "no-store" in client.get(path).headers.get("Cache-Control", ""), path


# --- cookies ---------------------------------------------------------------------------------


def cookies_set(response: TestResponse) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_session_cookies_are_httponly_and_lax(app: Flask) -> None:
    make_user("root-admin", Role.ADMIN, None)
    client = app.test_client()
    response = client.post("/login", data={"login": "root-admin", "password": PASSWORD,
                                           "remember": "y"})
    assert response.status_code == 302
    cookies = cookies_set(response)
    assert {"session", "remember_token"} <= set(cookies), cookies
    for name in ("session", "remember_token"):
        flags = [part.strip().lower() for part in cookies[name].split(";")]
        assert "httponly" in flags, cookies[name]
        assert "samesite=lax" in flags, cookies[name]


def test_cookies_are_secure_over_https(app: Flask) -> None:
    make_user("root-admin", Role.ADMIN, None)
    client = app.test_client()
    response = client.post("/login", data={"login": "root-admin", "password": PASSWORD,
                                           "remember": "y"}, base_url="https://localhost")
    assert response.status_code == 302
    cookies = cookies_set(response)
    assert {"session", "remember_token"} <= set(cookies), cookies
    for header in cookies.values():
        flags = [part.strip().lower() for part in header.split(";")]
        assert "secure" in flags, header
        assert "httponly" in flags, header
    assert "max-age=" in response.headers.get("Strict-Transport-Security", "")
    # Logging out over HTTPS deletes the cookies with the same flags.
    response = client.post("/logout", base_url="https://localhost")
    for header in response.headers.getlist("Set-Cookie"):
        assert "secure" in [p.strip().lower() for p in header.split(";")], header


def test_session_cookie_not_secure_over_plain_http_does_not_leak_hsts(app: Flask) -> None:
    """HSTS is only sent over HTTPS (browsers ignore it over HTTP, proxies may cache it)."""
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


# --- error pages -----------------------------------------------------------------------------


def assert_error_page(response: TestResponse, status: int, *fragments: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in body
    assert_chinese_page(body, *fragments)
    assert "secret-internal-detail" not in body and "no_such_table_secret" not in body
    assert_security_headers(response, str(status))


@pytest.mark.own_app
def test_400_page(client: FlaskClient, failing_routes: Flask) -> None:
    assert_error_page(client.post("/_test/bad-request", data={}), 400, "请求有误")


def test_403_page(client_for: Callable[..., FlaskClient]) -> None:
    make_user("donor-x", Role.DONOR, None)
    assert_error_page(client_for("donor-x").get("/admin/"), 403, "没有权限")


def test_404_page(client: FlaskClient) -> None:
    for path in ("/no-such-page", "/news/../../etc/passwd", "/admin/regions/%00",
                 "/static/../config.py"):
        response = client.get(path)
        if response.status_code == 302:  # /admin/...: the login page comes first
            continue
        assert_error_page(response, 404, "页面不存在")


def test_405_page(client: FlaskClient) -> None:
    assert_error_page(client.get("/logout"), 405, "请求方式不正确")
    assert_error_page(client.delete("/login"), 405, "请求方式不正确")
    assert_error_page(client.put("/register"), 405, "请求方式不正确")


def test_413_page(client: FlaskClient) -> None:
    big = "x" * (MAX_BODY * 2)
    for path in ("/login", "/register"):
        assert_error_page(client.post(path, data={"login": big, "contact": big}), 413,
                          "内容过大")
    # multipart with a field larger than the form memory limit
    response = client.post("/login", data={"login": "y" * (MAX_BODY // 2 + 100)},
                           content_type="multipart/form-data")
    assert response.status_code == 413


def test_429_page(client: FlaskClient) -> None:
    statuses = [client.post("/register", data={}).status_code for _ in range(11)]
    assert statuses[-1] == 429, statuses
    assert_error_page(client.post("/register", data={}), 429, "太频繁")


@pytest.mark.own_app
def test_500_page(client: FlaskClient, failing_routes: Flask) -> None:
    assert_error_page(client.get("/_test/boom"), 500, "服务器出错")
    assert_error_page(client.get("/_test/db-boom"), 500, "服务器出错")
    # The site goes on working after the failure (the session was rolled back).
    assert client.get("/healthz").status_code == 200


@pytest.mark.own_app
def test_api_errors_are_json_in_chinese(client: FlaskClient, failing_routes: Flask) -> None:
    for path, status in (("/api/v1/_test/boom", 500), ("/api/v1/no-such-thing", 404)):
        response = client.get(path)
        assert response.status_code == status
        payload = response.get_json()
        assert isinstance(payload, dict) and set(payload) == {"error"}, payload
        assert_chinese_page(payload["error"])
        assert "secret-internal-detail" not in response.get_data(as_text=True)


@pytest.mark.own_app
@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500,
                                    501, 503])
def test_aborts_render_chinese_pages(client: FlaskClient, failing_routes: Flask,
                                     status: int) -> None:
    response = client.get(f"/_test/abort/{status}")
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert_chinese_page(body)
    # Werkzeug's English default pages must never show through.
    for english in ("Bad Request", "Not Found", "Internal Server Error", "Method Not Allowed",
                    "The requested URL", "Forbidden", "Unauthorized"):
        assert english not in body, (status, english)
