"""Every public GET route is either kept by the page cache or listed here as not kept, with
the reason; a new route fails until it is classified. The kept ones are answered in front of
Flask on the second request, and a logged-in visitor's copy differs only in its visitor parts
(the header's account area, a list's links for donors or sellers)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from sunshine import pagecache
from sunshine.accounts.models import Role
from sunshine.content import services as content
from sunshine.extensions import db
from sunshine.stats import rollup
from tests.apps import PASSWORD
from tests.conftest import SAMPLE
from tests.content.conftest import write_news, write_policy
from tests.factories import make_user
from tests.funds.conftest import make_fund, make_project
from tests.stats.conftest import insert_register, make_register

#: Kept pages, with a URL to try (``{county}`` is the test county's code); None: kept, but
#: this test's data has none (a published answer, a verified seller).
KEPT: dict[str, str | None] = {
    "public.index": "/",
    "news.news_index": "/news/",
    "news.news_detail": "/news/chanye-2020",
    "policies.policies_index": "/policies/",
    "policies.policy_detail": "/policies/weifang-2019",
    "policies.guide": "/policies/guide?s=house&s=business",
    "funds.index": "/funds/?region={county}",
    "funds.detail": "/funds/{fund}",
    "funds.ledger_page": "/funds/ledger",
    "funds.timeliness_page": "/funds/timeliness?region={county}",
    "matching.thanks": "/help/thanks?region={county}",
    "complaints.answers": "/complaints/answers/?region={county}",
    "complaints.answer": None,
    "market.seller": None,
    "projects.detail": "/projects/{project}",
    "projects.index": "/projects/",
    "stats.index": "/stats/",
    "stats.detail": "/stats/{county}",
    "notices.index": "/notices/",
    "search.index": "/search?q=产业",
    "market.index": "/market/",
    "matching.index": "/help/?region={county}",
    "complaints.stats_page": "/complaints/stats?region={county}",
    "complaints.new": "/complaints/new",
    "market.detail": None,
    "notices.detail": None,
    "notices.print_page": None,
    "matching.detail": None,  # for visitors who are not logged in
    "complaints.track": "/complaints/track",
    "matching.confirm": "/help/confirm",
    "requests.index": "/requests/?region={county}",
    "requests.detail": None,
    "requests.compliance": "/requests/compliance?region={county}",
    "requests.new": "/requests/new",
    "requests.track": "/requests/track",
    "requests.annual_report": "/requests/report/{county}-rural/2026",
    "requests.report_cell": "/requests/report/{county}-rural/2026/new/total",
    "accounts.login": "/login",
    "accounts.register": None,  # for visitors who are not logged in
    "accounts.password": None,  # for logged-in visitors only
    "notify.follow": "/notify/follow",  # without a topic (a topic's form is rendered)
    "notify.manage_request": "/notify/manage",
    # Secret links, kept per link (tests/notify/test_link_pages.py).
    "complaints.followup_answer": None,
    "notify.confirm": None,
    "notify.unsubscribe": None,
    "notify.manage": None,
}

#: Public GET routes that are rendered every time, and why.
NOT_KEPT = {
    "requests.file": "a document sent from disk with its own ETag, revalidated on every use "
                     "so that a file taken off an answer is gone at once",
    "requests.track_file": "a per-visitor token link: a document for one applicant",
    "matching.mine": "the donor's own pledges",
    "market_seller.home": "the seller's own back office",
    "market_seller.edit": "the seller's own back office",
    "market_seller.inquiry": "the seller's own back office",
    "market_seller.new": "the seller's own back office",
    "market_seller.profile": "the seller's own back office",
    "search.suggestions": "JSON for the search box, not a page: kept as data per index "
                          "generation (tests/search/test_places_and_synonyms.py)",
}

#: Not pages: files, feeds, photos, exports and the health check (kept as data, see
#: test_pagecache_data.py).
NOT_PAGES = re.compile(r"(\.(csv|xml|json|svg|txt)$)|/photos/|^/healthz$")


def public_get_rules(app: Flask) -> dict[str, str]:
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and not NOT_PAGES.search(rule.rule)
            and not rule.rule.startswith(("/admin", "/api/", "/static"))}


def test_every_public_page_is_kept_or_says_why_not(app: Flask) -> None:
    rules = public_get_rules(app)
    unclassified = set(rules) - set(KEPT) - set(NOT_KEPT)
    assert not unclassified, f"classify these routes in KEPT or NOT_KEPT: {sorted(unclassified)}"
    assert not set(KEPT) & set(NOT_KEPT)
    gone = (set(KEPT) | set(NOT_KEPT)) - set(rules)
    assert not gone, f"classified routes that are gone: {sorted(gone)}"


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    root = tmp_path / "content"
    write_news(root, "chanye-2020", "兴宁区产业扶贫见成效", region=SAMPLE["county"])
    write_policy(root, "weifang-2019", "农村危房改造补助", region=SAMPLE["province"])
    return {"CONTENT_DIR": str(root)}


@pytest.fixture
def site(app: Flask, regions: dict[str, str], tmp_path: Path) -> dict[str, str]:
    content.sync_folder(tmp_path / "content")
    insert_register(make_register())
    rollup.rebuild_all()
    db.session.commit()
    return {**regions, "fund": str(make_fund().id), "project": str(make_project().id)}


ACCOUNT = re.compile(r'<div class="account">.*?</div>\n  </div>', re.S)


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_kept_pages_come_from_the_front_and_carry_each_visitors_header(
        app: Flask, site: dict[str, str]) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    donor = app.test_client()
    donor.post("/login", data={"login": "donor-wang", "password": PASSWORD})
    donor.get("/")  # the welcome message, flashed once
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask") and None)
    for endpoint, sample in KEPT.items():
        if sample is None:
            continue
        url = sample.format(**site)
        anonymous = app.test_client()
        seen.clear()
        first = anonymous.get(url)
        assert first.status_code == 200 and seen, endpoint
        seen.clear()
        again = anonymous.get(url)
        assert again.status_code == 200 and not seen, f"{endpoint}: not answered in front"
        entry = pagecache.store(app).get(pagecache.request_key(first.request.environ))
        assert entry is not None and "_account.html" in entry.parts, endpoint
        if entry.shared:
            assert again.data == first.data, endpoint
        else:  # the same page with fresh tokens (a form's signed start time)
            assert_made_of(again.data, [entry.page.body], endpoint)
        mine = donor.get(url).data
        assert "王爱心" in ACCOUNT.search(mine.decode()).group(0), endpoint
        assert "王爱心" not in first.text, endpoint
        assert 'name="csrf_token"' not in first.text, f"{endpoint}: a token in a kept page"
        # The donor's page is the kept page with only the visitor parts put in between.
        assert_made_of(mine, entry.pieces, endpoint)


TOKEN = re.compile(rb"@@visitor-token:[\w:-]+@@")


def assert_made_of(page: bytes, pieces: list[bytes], endpoint: str) -> None:
    """``page`` is ``pieces`` in order, with something in between them and in place of
    each token's marker."""
    fixed = [fragment for piece in pieces for fragment in TOKEN.split(piece)]
    assert page.startswith(fixed[0]) and page.endswith(fixed[-1]), endpoint
    at = 0
    for fragment in fixed:
        found = page.find(fragment, at)
        assert found >= at, endpoint
        at = found + len(fragment)
    assert b"@@visitor-token:" not in page, endpoint
