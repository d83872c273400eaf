"""Listing photos: stored with a thumbnail and without EXIF, shown to whom the listing's state
allows, bad files refused by the upload page. (The photo checks themselves are in
tests/test_uploads.py.)"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sunshine.extensions import db
from sunshine.market import photos, services
from sunshine.market.models import ListingPhoto, ListingStatus
from sunshine.market.photos import PHOTOS
from sunshine.uploads import PhotoRejected
from tests.images import jpeg_with_gps
from tests.market.conftest import make_listing


def test_gps_is_stripped_and_a_thumbnail_made(app, users, verified):
    listing = make_listing(users["seller"])
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)
    [row] = photos.add_photos(users["seller"], listing, [original])
    folder = PHOTOS.directory()
    for name in (row.filename, row.thumbnail):
        data = (folder / name).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif()
            assert b"PhoneMaker" not in data


def test_the_public_gets_photos_of_listings_on_sale_only(app, client, client_for, users):
    from tests.market.conftest import make_seller

    make_seller(users["seller"])
    listing = make_listing(users["seller"])  # pending: seller not verified
    [row] = photos.add_photos(users["seller"], listing, [jpeg_with_gps()])
    assert client.get(f"/market/photos/{row.id}/thumb").status_code == 404
    with client_for("coop").get(f"/market/photos/{row.id}/thumb") as own:
        assert own.status_code == 200 and own.cache_control.private


def test_upload_view_refuses_html_renamed_jpg_with_415(client_for, users, verified):
    listing = make_listing(users["seller"], submit=False)
    coop = client_for("coop")
    response = coop.post(f"/market/my/{listing.id}/photos", data={
        "photos": (io.BytesIO(b"<html><script>alert(1)</script>"), "../../evil.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 415
    assert "JPEG" in response.get_data(as_text=True)
    ok = coop.post(f"/market/my/{listing.id}/photos", data={
        "photos": (io.BytesIO(jpeg_with_gps()), "../../photo.jpg")},
        content_type="multipart/form-data")
    assert ok.status_code == 302
    row = db.session.query(ListingPhoto).one()
    assert ".." not in row.filename
    services.submit_listing(users["seller"], listing)
    with coop.get(f"/market/photos/{row.id}/full") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert not served.cache_control.private  # on sale: anyone may see it
    assert listing.status == ListingStatus.ON_SALE


def test_one_bad_file_and_no_photo_of_the_batch_is_stored(users, verified):
    listing = make_listing(users["seller"])
    with pytest.raises(PhotoRejected):
        photos.add_photos(users["seller"], listing, [jpeg_with_gps(), b"<html></html>"])
    assert db.session.query(ListingPhoto).count() == 0
    assert not PHOTOS.directory().exists() or not any(PHOTOS.directory().iterdir())


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_a_photo_on_sale_is_kept_in_front_until_the_listing_is_taken_down(
        app, client, client_for, users, verified):
    listing = make_listing(users["seller"], submit=False)
    [row] = photos.add_photos(users["seller"], listing, [jpeg_with_gps()])
    services.submit_listing(users["seller"], listing)  # a verified seller's: on sale at once
    assert listing.status == ListingStatus.ON_SALE
    url = f"/market/photos/{row.id}/thumb"
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask") and None)
    first = client.get(url)
    assert first.status_code == 200 and seen
    seen.clear()
    again = client.get(url)
    assert again.status_code == 200 and not seen, "not answered in front"
    assert again.data == first.data == (PHOTOS.directory() / row.thumbnail).read_bytes()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    services.take_down(users["county"], listing, "图片与实物不符")
    db.session.commit()
    assert client.get(url).status_code == 404  # at once, in every worker
    # Its seller still sees it, marked private, and that copy is never kept for anyone.
    with client_for("coop").get(url) as own:
        assert own.status_code == 200 and own.cache_control.private
    seen.clear()
    assert client.get(url).status_code == 404 and seen


def test_a_seller_deletes_a_photo_of_their_own_listing_only(client_for, users, verified):
    from sqlalchemy import select

    from sunshine.audit import AuditEntry
    from tests.market.conftest import make_seller

    make_seller(users["seller2"], verify_by=users["county"])
    listing = make_listing(users["seller"], submit=False)
    theirs = make_listing(users["seller2"], submit=False, name="别家的沃柑")
    [row] = photos.add_photos(users["seller"], listing, [jpeg_with_gps()])
    [other_row] = photos.add_photos(users["seller2"], theirs, [jpeg_with_gps()])
    files = [PHOTOS.directory() / name for name in (row.filename, row.thumbnail)]
    photo_id = row.id
    url = f"/market/my/{listing.id}/photos/{photo_id}/delete"
    assert client_for("coop2").post(url).status_code == 403
    coop = client_for("coop")
    # a photo of another listing, through one's own listing's address
    assert coop.post(f"/market/my/{listing.id}/photos/{other_row.id}/delete").status_code == 403
    assert db.session.get(ListingPhoto, other_row.id) is not None
    assert all(file.exists() for file in files)
    assert coop.post(url).status_code == 302
    db.session.expire_all()
    assert db.session.get(ListingPhoto, photo_id) is None
    assert not any(file.exists() for file in files)
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "market.photo_remove")) is not None
