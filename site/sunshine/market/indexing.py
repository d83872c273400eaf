"""Listings in site search: name, category, variety, origin, seller name and description.

Never an inquiry, never a buyer's contact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.registry import SearchDoc
from sunshine.search.outbox import changed

if TYPE_CHECKING:
    from sunshine.market.models import Listing


def document(listing: Listing) -> SearchDoc:
    body = " ".join([listing.category, listing.variety, listing.spec, listing.origin.name,
                     listing.seller.name, " ".join(listing.label_list),
                     "扶贫产品" if listing.certified else "", listing.description_md])
    published = listing.published_at.date().isoformat() if listing.published_at else ""
    return SearchDoc(id=f"product:{listing.id}", type="product", title=listing.name, body=body,
                     url=listing.url, region_code=listing.origin_code, date=published)


def product_documents() -> Iterator[SearchDoc]:
    from sunshine.market.models import Listing, ListingStatus

    rows = db.session.execute(select(Listing).where(Listing.status == ListingStatus.ON_SALE))
    for listing in rows.scalars():
        yield document(listing)


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The listings on sale among these ids."""
    from sunshine.market.models import Listing, ListingStatus

    rows = db.session.execute(select(Listing).where(
        Listing.id.in_([int(k) for k in keys]), Listing.status == ListingStatus.ON_SALE))
    for listing in rows.scalars():
        yield document(listing)


def reindex(listings: Iterable[Listing]) -> None:
    """Before the commit: listings on sale are to be (re)indexed, the others removed."""
    from sunshine.market.models import ListingStatus

    listings = list(listings)
    changed([f"product:{x.id}" for x in listings if x.status == ListingStatus.ON_SALE],
            [f"product:{x.id}" for x in listings if x.status != ListingStatus.ON_SALE])
