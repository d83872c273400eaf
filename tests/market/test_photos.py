"""Photos: EXIF and GPS stripped, thumbnails made, bad files refused quickly."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sunshine.extensions import db
from sunshine.market import services
from sunshine.market.models import ListingPhoto
from sunshine.market.photos import PhotoRejected, photo_dir
from tests.market.conftest import jpeg_with_gps, make_listing


def test_gps_is_stripped_and_a_thumbnail_made(app, users, verified):
    listing = make_listing(users["seller"])
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)
    [row] = services.add_photos(users["seller"], listing, [original])
    folder = photo_dir(app.config["UPLOAD_DIR"])
    for name in (row.filename, row.thumbnail):
        data = (folder / name).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif()
            assert b"PhoneMaker" not in data


def test_the_public_gets_photos_of_listings_on_sale_only(app, client, users):
    from tests.market.conftest import make_seller

    make_seller(users["seller"])
    listing = make_listing(users["seller"])  # pending: seller not verified
    [row] = services.add_photos(users["seller"], listing, [jpeg_with_gps()])
    assert client.get(f"/market/photos/{row.id}/thumb").status_code == 404


@pytest.mark.parametrize("data", [
    b"",
    b"<html><script>alert(1)</script></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>",
    b"\xff\xd8\xff\xe0 truncated jpeg",
])
def test_bad_files_are_refused(users, verified, data):
    listing = make_listing(users["seller"])
    with pytest.raises(PhotoRejected):
        services.add_photos(users["seller"], listing, [data])
    assert db.session.query(ListingPhoto).count() == 0


def test_a_decompression_bomb_is_refused(users, verified):
    listing = make_listing(users["seller"])
    image = Image.new("1", (12000, 12000))
    out = io.BytesIO()
    image.save(out, "PNG")
    with pytest.raises(PhotoRejected):
        services.add_photos(users["seller"], listing, [out.getvalue()])


def test_upload_view_refuses_html_renamed_jpg_with_415(client_for, users, verified):
    listing = make_listing(users["seller"])
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
    served = coop.get(f"/market/photos/{row.id}/full")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_over_the_size_limit_is_refused_before_decoding(app, users, verified):
    listing = make_listing(users["seller"])
    app.config["MARKET_PHOTO_MAX_BYTES"] = 1024 * 1024
    with pytest.raises(PhotoRejected, match="MB"):
        services.add_photos(users["seller"], listing, [b"\xff\xd8" + b"0" * (2 * 1024 * 1024)])
