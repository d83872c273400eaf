"""A listing's photos: checked all together, stored with thumbnails, and an edit of a listing
on sale (it goes back to review)."""

from __future__ import annotations

from flask import current_app

from sunshine import pagecache
from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.failures import PermissionDenied
from sunshine.market import indexing
from sunshine.market.models import Listing, ListingPhoto, ListingStatus
from sunshine.market.services import MarketError, own_listing
from sunshine.uploads import PhotoStore

#: Listing photos with thumbnails, under random names in UPLOAD_DIR/market/.
PHOTOS = PhotoStore("market", "MARKET_PHOTO", thumbnails=True)


def add_photos(user: User, listing: Listing, files: list[bytes]) -> list[ListingPhoto]:
    """Check every file first, then store them all (nothing stored when one is refused). New
    photos of a listing on sale are an edit: it goes back to 待审核.

    :raise PhotoRejected: a file is not a usable photo.
    :raise MarketError: too many photos.
    """
    own_listing(user, listing)
    limit = int(current_app.config["MARKET_MAX_PHOTOS"])
    if len(listing.photos) + len(files) > limit:
        raise MarketError(f"每个产品最多 {limit} 张照片", "photos")

    def edited(rows: list[ListingPhoto]) -> None:
        if listing.status == ListingStatus.ON_SALE:
            listing.status = ListingStatus.PENDING
        pagecache.changed("market", listing.origin_code)
        record("market.photo_add", user, "market_listing", listing.id, listing.origin_code,
               str(len(rows)))
        indexing.reindex([listing])

    return PHOTOS.attach(
        files, lambda stored: ListingPhoto(listing_id=listing.id, **stored.columns()), edited)


def remove_photo(user: User, listing: Listing, photo: ListingPhoto) -> None:
    """Delete a photo of the user's listing, its files after the commit.

    :raise PermissionDenied: not the user's listing, or a photo of another listing.
    """
    own_listing(user, listing)
    if photo.listing_id != listing.id:
        raise PermissionDenied("photo of another listing")

    def removed() -> None:
        pagecache.changed("market", listing.origin_code)
        record("market.photo_remove", user, "market_listing", listing.id, listing.origin_code)

    PHOTOS.detach(photo, removed)
