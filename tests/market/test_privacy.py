"""A buyer's contact never appears on public pages, the API, the CSV, the sitemap or search."""

from __future__ import annotations

from sunshine.market import inquiries
from tests.market.conftest import make_listing

CONTACT = "buyer-secret-contact-7788"
MESSAGE = "buyer-private-message-9911"


def test_buyer_contact_never_public(client, users, verified):
    listing = make_listing(users["seller"], name="香米")
    inquiries.send_inquiry(listing, "20袋", CONTACT, MESSAGE)
    for url in ["/market/", f"/market/{listing.id}", f"/market/sellers/{verified.id}",
                "/market/export.csv", "/api/v1/products", f"/api/v1/products/{listing.id}",
                "/sitemap.xml", "/search?q=香米"]:
        text = client.get(url).get_data(as_text=True)
        assert CONTACT not in text and MESSAGE not in text, url
    for query in (CONTACT, MESSAGE):  # the search page repeats the query but finds nothing
        text = client.get(f"/search?q={query}").get_data(as_text=True)
        assert f"/market/{listing.id}" not in text
