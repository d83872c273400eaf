"""Naughty strings in listing and inquiry text: stored exactly or a Chinese 4xx, never 500."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.market.models import Inquiry, Listing
from tests.conftest import shared_data
from tests.market.conftest import VILLAGE, make_listing


@pytest.fixture
def naughty() -> list[str]:
    strings = json.loads(shared_data("naughty-strings", "blns.json").read_text("utf-8"))
    return [s for s in strings if s.strip()]


def test_naughty_strings_in_listing_text(client_for, users, verified, naughty):
    coop = client_for("coop")
    for text in naughty[::17]:
        response = coop.post("/market/my/new", data={
            "name": text[:100], "category": "果蔬", "unit": "斤", "price": "1.00",
            "min_order": "1", "origin_code": VILLAGE, "variety": text[:100],
            "description_md": text})
        assert response.status_code in (302, 400), (text, response.status_code)
        if response.status_code == 400:
            assert "请" in response.get_data(as_text=True) or "无效" in response.get_data(
                as_text=True)
        else:
            listing = db.session.scalar(select(Listing).order_by(Listing.id.desc()))
            assert listing.description_md == text
            assert listing.variety == text[:100]


def test_naughty_strings_in_inquiries(client, users, verified, naughty):
    listing = make_listing(users["seller"])
    for text in naughty[1::17]:
        response = client.post(f"/market/{listing.id}/inquiry", data={
            "quantity": text[:50], "contact": text[:100], "message": text})
        assert response.status_code in (302, 400), (text, response.status_code)
        if response.status_code == 302:
            inquiry = db.session.scalar(select(Inquiry).order_by(Inquiry.id.desc()))
            assert inquiry.message == text and inquiry.contact == text[:100]
    page = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert "<script>alert" not in page
