"""Photos: judged by content, re-encoded without EXIF or GPS, bombs and other files refused."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from sunshine.complaints.models import Case, CasePhoto
from sunshine.complaints.photos import PhotoRejected, clean_photo
from sunshine.extensions import db
from tests.complaints.conftest import form_data

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000


def jpeg_with_gps(orientation: int = 1) -> bytes:
    image = Image.new("RGB", (40, 30), (180, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (22.0, 48.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (108.0, 22.0, 10.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (20, 20), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 0, 255, 128) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: a decompression bomb's calling card."""
    data = bytearray(png((1, 1), "L"))
    ihdr = 8  # after the signature: length, b"IHDR", width, height, ...
    data[ihdr + 8: ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4: ihdr + 8 + 13]))
    data[ihdr + 8 + 13: ihdr + 8 + 17] = struct.pack(">I", crc)
    return bytes(data)


def test_a_jpeg_loses_its_exif_and_gps() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo really has GPS
    clean = clean_photo(original, MAX_BYTES, MAX_PIXELS)
    assert clean.content_type == "image/jpeg" and clean.extension == "jpg"
    with Image.open(io.BytesIO(clean.data)) as after:
        assert after.format == "JPEG" and (after.width, after.height) == (40, 30)
        assert not after.getexif() and "exif" not in after.info
    assert b"Exif" not in clean.data and b"SecretPhoneMaker" not in clean.data


def test_the_orientation_is_applied_before_the_exif_goes() -> None:
    clean = clean_photo(jpeg_with_gps(orientation=6), MAX_BYTES, MAX_PIXELS)
    assert (clean.width, clean.height) == (30, 40)


def test_the_format_is_read_from_the_content_not_the_name() -> None:
    clean = clean_photo(png(), MAX_BYTES, MAX_PIXELS)
    assert clean.content_type == "image/png" and clean.extension == "png"
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.mode == "RGBA"
    webp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(webp, "WEBP")
    assert clean_photo(webp.getvalue(), MAX_BYTES, MAX_PIXELS).content_type == "image/webp"


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (7_000, 7_000)],
                         ids=["above twice the limit (error)", "above the limit (warning)"])
def test_decompression_bombs_are_refused(width: int, height: int) -> None:
    with pytest.raises(PhotoRejected) as caught:
        clean_photo(png_claiming(width, height), MAX_BYTES, MAX_PIXELS)
    assert "像素太多" in caught.value.message
    assert Image.MAX_IMAGE_PIXELS != MAX_PIXELS  # the global limit is put back


def test_other_files_are_refused_in_chinese() -> None:
    gif = io.BytesIO()
    Image.new("P", (5, 5)).save(gif, "GIF")
    bad = [b"just some text, not a photo", gif.getvalue(), jpeg_with_gps()[:200],
           b"%PDF-1.4\n", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b""]
    for data in bad:
        with pytest.raises(PhotoRejected) as caught:
            clean_photo(data, MAX_BYTES, MAX_PIXELS)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
    with pytest.raises(PhotoRejected) as caught:
        clean_photo(jpeg_with_gps(), 100, MAX_PIXELS)
    assert "不能超过" in caught.value.message


def _upload(client, app, files: list[tuple[bytes, str]]):  # type: ignore[no-untyped-def]
    data = form_data(app)
    data["photos"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/complaints/new", data=data, content_type="multipart/form-data")


def test_uploaded_photos_are_cleaned_and_stored_under_random_names(app, client,
                                                                   regions) -> None:
    response = _upload(client, app, [(jpeg_with_gps(), "IMG_2024_家门口.jpg"),
                                     (png(), "screenshot.jpg")])
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    photos = db.session.execute(select(CasePhoto).order_by(CasePhoto.id)).scalars().all()
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    folder = Path(app.config["UPLOAD_DIR"]) / "complaints"
    for photo in photos:
        assert len(photo.filename.split(".")[0]) == 32 and "IMG" not in photo.filename
        stored = (folder / photo.filename).read_bytes()
        assert b"Exif" not in stored and b"SecretPhoneMaker" not in stored
    assert photos[1].filename.endswith(".png")  # by content, whatever the name said


def test_bad_uploads_are_refused_with_nothing_stored(app, client, regions) -> None:
    text = _upload(client, app, [(b"hello, not a photo", "photo.jpg")])
    assert text.status_code == 415 and "只能上传 JPEG、PNG 或 WebP" in text.get_data(True)
    bomb = _upload(client, app, [(png_claiming(20_000, 20_000), "bomb.png")])
    assert bomb.status_code == 415 and "像素太多" in bomb.get_data(as_text=True)
    many = _upload(client, app, [(png(), f"{n}.png") for n in range(4)])
    assert many.status_code == 400 and "最多上传 3 张照片" in many.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    folder = Path(app.config["UPLOAD_DIR"]) / "complaints"
    assert not folder.exists() or not any(folder.iterdir())


def test_a_request_over_the_size_limit_gets_a_chinese_413(app, client, regions) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = _upload(client, app, [(b"\xff" * 4096, "big.jpg")])
    assert response.status_code == 413 and "超过了大小限制" in response.get_data(as_text=True)
