"""The statistics render cache answered in front of Flask (stats/front.py)."""

from __future__ import annotations

from sunshine.accounts.models import Role
from sunshine.stats import rollup, views
from tests.factories import make_user

PAGE = "/stats/450102000000?sort=reg"


def _served_in_front(app, client, path: str):
    """A request that Flask itself never sees (its request hooks would count it)."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask") and None)
    try:
        response = client.get(path)
    finally:
        app.before_request_funcs[None].pop()
    return response, not seen


def test_a_cached_page_comes_from_the_front_with_flasks_headers(app, client, register) -> None:
    first, front = _served_in_front(app, client, PAGE)
    assert not front and first.status_code == 200  # rendered by Flask, and kept
    again, front = _served_in_front(app, client, PAGE)
    assert front and again.data == first.data
    for name in ("Content-Type", "Content-Security-Policy", "X-Frame-Options",
                 "X-Content-Type-Options", "Referrer-Policy", "Content-Length"):
        assert again.headers[name] == first.headers[name], name
    head = client.head(PAGE)
    assert head.status_code == 200 and head.data == b""
    # Another query string is another page.
    assert not _served_in_front(app, client, "/stats/450102000000?sort=poor")[1]


def test_visitors_with_a_cookie_and_new_builds_go_to_flask(app, client, register,
                                                           login) -> None:
    client.get(PAGE)
    with_cookie = app.test_client()
    with_cookie.set_cookie("theme", "x")
    assert not _served_in_front(app, with_cookie, PAGE)[1]
    make_user("staff-nn", Role.STAFF, "450102000000", display_name="南宁测试员")
    assert login("staff-nn").status_code in (302, 303)
    mine, front = _served_in_front(app, client, PAGE)
    assert not front and "南宁测试员" in mine.get_data(as_text=True)  # never the anonymous page
    rollup.rebuild_all()
    views.page_cache().checked = -1e9  # as a second later
    anonymous = app.test_client()
    response, front = _served_in_front(app, anonymous, PAGE)
    assert not front and response.status_code == 200  # a new build renders anew
