"""Injection payloads: XSS through every reflected or stored value of the foundation, and SQL
injection strings that must neither fail nor log anybody in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.accounts.models import Role
from sunshine.search.index import rebuild
from tests.apps import PASSWORD
from tests.conftest import SAMPLE, payload_lines
from tests.factories import make_user
from tests.security.conftest import user_count

DANGEROUS_TAGS = {"script", "iframe", "svg", "object", "embed", "style", "math", "frame",
                  "frameset", "applet", "base", "meta", "link", "img", "video", "audio", "source",
                  "body", "form", "input", "button", "select", "textarea", "keygen", "isindex",
                  "marquee", "details", "plaintext", "xmp", "template", "noscript", "image"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background",
                  "xlink:href", "srcdoc", "content"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS": 100_000,
            "LOGIN_MAX_FAILURES_PER_ADDRESS": 100_000}


class Elements(HTMLParser):
    """Every start tag with its attributes, the way a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))

    handle_startendtag = handle_starttag


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def _squash(value: str) -> str:
    return "".join(c for c in value.lower() if not c.isspace() and ord(c) >= 32)


def injected(baseline: Elements, page: Elements, expected: Counter[str] | None = None
             ) -> list[str]:
    """What the payload page has that the page without the payload lacks.

    ``expected`` gives the tag counts the page should have when it is longer than the
    baseline for honest reasons (more rows in a table).
    """
    expected = expected if expected is not None else baseline.tags
    problems = [f"<{tag}> x{page.tags[tag] - expected[tag]}" for tag in DANGEROUS_TAGS
                if page.tags[tag] > expected[tag]]
    known = set(baseline.attributes)
    for tag, name, value in page.attributes:
        if name.startswith("on"):
            problems.append(f"{tag} {name}=")
        if name in URL_ATTRIBUTES and (tag, name, value) not in known:
            squashed = _squash(value)
            if squashed.startswith(("javascript:", "vbscript:", "data:text", "livescript:")):
                problems.append(f"{tag} {name}={value[:60]}")
        if name == "style" and (tag, name, value) not in known:
            problems.append(f"{tag} style=")
    return problems


@pytest.fixture
def sqli_payloads() -> list[str]:
    return payload_lines("sqli.txt", 300)


@pytest.fixture
def indexed(app: Flask, regions: dict[str, str]) -> None:
    """A real search index, so that queries go through the parser and the highlighter."""
    rebuild(app.config["SEARCH_INDEX_DIR"])


def check_reflection(client: FlaskClient, make_url: Callable[[str], str], payloads: list[str],
                     baseline_url: str) -> None:
    baseline_response = client.get(baseline_url)
    baseline = parse(baseline_response.get_data(as_text=True))
    failures = []
    for payload in payloads:
        response = client.get(make_url(payload))
        assert response.status_code < 500, payload
        problems = injected(baseline, parse(response.get_data(as_text=True)))
        if problems:
            failures.append((payload, problems))
    assert not failures, failures[:5]


def test_search_query_is_never_markup(client: FlaskClient, indexed: None,
                                      xss_payloads: list[str]) -> None:
    check_reflection(client, lambda p: f"/search?q={quote(p, safe='')}", xss_payloads,
                     "/search?q=zzzzqqqq")


def test_search_hits_with_payloads_around_real_words(client: FlaskClient, indexed: None,
                                                     xss_payloads: list[str]) -> None:
    """A payload next to a word that is in the index: the highlighter runs on it too."""
    word = SAMPLE["city_name"][:-1]  # 南宁 in Guangxi
    check_reflection(client, lambda p: f"/search?q={quote(word + ' ' + p, safe='')}",
                     xss_payloads, f"/search?q={quote(word)}")


def test_search_filters_are_never_markup(client: FlaskClient, indexed: None,
                                         xss_payloads: list[str]) -> None:
    check_reflection(
        client, lambda p: f"/search?q=a&type={quote(p, safe='')}&region={quote(p, safe='')}"
                          f"&page={quote(p, safe='')}",
        xss_payloads, "/search?q=a")


def test_login_next_is_never_markup(client: FlaskClient, xss_payloads: list[str]) -> None:
    check_reflection(client, lambda p: f"/login?next={quote(p, safe='')}", xss_payloads,
                     "/login")


def test_not_found_path_is_never_markup(client: FlaskClient, xss_payloads: list[str]) -> None:
    check_reflection(client, lambda p: "/no-such/" + quote(p, safe=""), xss_payloads,
                     "/no-such/page")


def test_stored_display_names_are_never_markup(app: Flask, regions: dict[str, str],
                                               client_for: Callable[..., FlaskClient],
                                               xss_payloads: list[str]) -> None:
    """Payloads as public display names: in the page header and in the admin's user list."""
    make_user("root-admin", Role.ADMIN, None)
    make_user("plain-1", Role.SELLER, None, display_name="普通用户")
    admin = client_for("root-admin")
    header_baseline = parse(client_for("plain-1").get("/").get_data(as_text=True))
    one_row = parse(admin.get("/admin/users/").get_data(as_text=True))
    make_user("plain-2", Role.SELLER, None, display_name="普通用户")
    two_rows = parse(admin.get("/admin/users/").get_data(as_text=True))
    per_row = two_rows.tags - one_row.tags
    stored = 0
    failures = []
    for n, payload in enumerate(xss_payloads):
        client = app.test_client()
        response = client.post("/register", data={
            "role": "seller", "contact": f"xss-{n}@example.cn", "display_name": payload,
            "password": "Zq8!mNp2#kLw-7", "confirm": "Zq8!mNp2#kLw-7"})
        assert response.status_code < 500, payload
        if response.status_code != 302:
            continue
        stored += 1
        client.post("/login", data={"login": f"xss-{n}@example.cn", "password": "Zq8!mNp2#kLw-7"})
        problems = injected(header_baseline, parse(client.get("/").get_data(as_text=True)))
        if problems:
            failures.append((payload, problems))
    assert stored > 50, "too few payloads were accepted to prove anything"
    assert not failures, failures[:5]
    listing = parse(admin.get("/admin/users/").get_data(as_text=True))
    expected = two_rows.tags + Counter({tag: n * stored for tag, n in per_row.items()})
    problems = injected(two_rows, listing, expected)
    assert not problems, problems[:10]


# --- SQL injection ---------------------------------------------------------------------------


def test_sqli_in_search_never_fails(client: FlaskClient, indexed: None,
                                    sqli_payloads: list[str]) -> None:
    for payload in sqli_payloads:
        for url in (f"/search?q={quote(payload, safe='')}",
                    f"/search?q=a&region={quote(payload, safe='')}",
                    f"/api/v1/regions/{quote(payload, safe='')}",
                    f"/stats/{quote(payload, safe='')}"):
            response = client.get(url)
            assert response.status_code < 500, (url, response.status_code)


def test_sqli_never_logs_anybody_in(app: Flask, client: FlaskClient, regions: dict[str, str],
                                    sqli_payloads: list[str]) -> None:
    make_user("admin", Role.ADMIN, None)
    before = user_count()
    for payload in sqli_payloads:
        # With the right password of a real account: the shape of an authentication bypass.
        response = client.post("/login", data={"login": payload, "password": PASSWORD})
        assert response.status_code in (400, 429), (payload, response.status_code)
    assert client.get("/admin/").status_code == 302
    assert user_count() == before


def test_sqli_in_registration_never_fails(app: Flask, sqli_payloads: list[str]) -> None:
    for payload in sqli_payloads:
        response = app.test_client().post("/register", data={
            "role": "donor", "contact": payload, "display_name": payload,
            "password": "Zq8!mNp2#kLw-7", "confirm": "Zq8!mNp2#kLw-7"})
        assert response.status_code in (302, 400), (payload, response.status_code)
