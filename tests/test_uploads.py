"""The photo store: judged by content, re-encoded without EXIF or GPS, bombs and other files
refused in Chinese, thumbnails, names on disk, and serving."""

from __future__ import annotations

import ast
import hashlib
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from PIL import BmpImagePlugin, ExifTags, Image, JpegImagePlugin, TiffImagePlugin
from PIL.PngImagePlugin import PngInfo
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

import sunshine
from sunshine import uploads
from sunshine.config import PHOTO_MAX_PIXELS, default_config
from sunshine.uploads import (
    DECODE_SLOTS,
    MAX_SIDE,
    NOT_A_PHOTO,
    THUMB_SIDE,
    PhotoBusy,
    PhotoRejected,
    PhotoStore,
    clean_photo,
    read_files,
    thumbnail,
)
from tests.images import CAMERA, gps_exif, jpeg, jpeg_claiming, jpeg_with_gps, png, png_claiming

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = PHOTO_MAX_PIXELS
STORE = PhotoStore("things", "THING_PHOTO")
WITH_THUMBS = PhotoStore("cards", "THING_PHOTO", thumbnails=True)
BY_CONTENT = PhotoStore("chained", "THING_PHOTO", by_content=True)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """A bare application: the store needs only its settings and UPLOAD_DIR."""
    app = Flask(__name__)
    app.config.update(UPLOAD_DIR=str(tmp_path / "uploads"), THING_PHOTO_MAX_BYTES=MAX_BYTES,
                      THING_PHOTO_MAX_PIXELS=MAX_PIXELS)
    with app.app_context():
        yield app


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- checking and re-encoding ----------------------------------------------------------------


def test_a_jpeg_loses_its_exif_and_gps() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo really has GPS
    clean = clean_photo(original, MAX_BYTES, MAX_PIXELS)
    assert clean.content_type == "image/jpeg" and clean.extension == "jpg"
    with Image.open(io.BytesIO(clean.data)) as after:
        assert after.format == "JPEG" and (after.width, after.height) == (40, 30)
        assert not after.getexif() and "exif" not in after.info
    assert b"Exif" not in clean.data and CAMERA.encode() not in clean.data


def test_a_png_loses_its_exif_and_text_chunks() -> None:
    out = io.BytesIO()
    text = PngInfo()
    text.add_text("Comment", "taken at home, 22.8N 108.3E")
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, "PNG", exif=gps_exif(), pnginfo=text)
    assert CAMERA.encode() in out.getvalue()
    clean = clean_photo(out.getvalue(), MAX_BYTES, MAX_PIXELS)
    assert CAMERA.encode() not in clean.data and b"22.8N" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as after:
        assert not after.getexif() and not after.info.get("Comment")


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


def test_a_file_that_claims_to_be_a_jpeg_but_is_not_is_refused(app: Flask) -> None:
    # The JPEG start-of-image marker, a JPEG name and a JPEG content type: HTML all the same.
    fake = b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>"
    upload = FileStorage(io.BytesIO(fake), filename="photo.jpg", content_type="image/jpeg")
    [data] = STORE.read([upload])
    with pytest.raises(PhotoRejected) as caught:
        STORE.clean(data)
    assert caught.value.message == NOT_A_PHOTO
    assert not STORE.directory().exists()


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (7_000, 7_000)],
                         ids=["above twice the limit (error)", "above the limit (warning)"])
def test_decompression_bombs_are_refused(width: int, height: int) -> None:
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(PhotoRejected) as caught:
        clean_photo(png_claiming(width, height), MAX_BYTES, MAX_PIXELS)
    assert "像素太多" in caught.value.message
    assert Image.MAX_IMAGE_PIXELS == before  # Pillow's process-wide limit is left alone


def test_a_real_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 M pixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    with pytest.raises(PhotoRejected, match="像素太多"):
        clean_photo(out.getvalue(), MAX_BYTES, MAX_PIXELS)


def test_every_store_allows_about_twelve_megapixels_a_phone_photo_fits() -> None:
    """A 600 KB JPEG of 6300 × 6300 pixels cost 1.2 s and 450 MB to decode: the header is
    enough to refuse it, whichever feature it is sent to."""
    defaults = default_config("/instance")
    limits = {key: value for key, value in defaults.items() if key.endswith("_PHOTO_MAX_PIXELS")}
    assert len(limits) >= 3 and all(v <= 13_000_000 for v in limits.values()), limits
    bomb = jpeg_claiming(6300, 6300)
    assert len(bomb) < 2_000
    for limit in limits.values():
        with pytest.raises(PhotoRejected, match="像素太多"):
            clean_photo(bomb, MAX_BYTES, limit)
    phone = clean_photo(jpeg((4032, 3024)), MAX_BYTES, min(limits.values()))
    assert (phone.width, phone.height) == (MAX_SIDE, 1920)


def test_only_the_three_photo_decoders_ever_see_an_upload(monkeypatch) -> None:
    """Pillow knows dozens of formats; an upload is offered to JPEG, PNG and WebP only, so a
    flaw in another decoder is out of reach."""
    tried: list[str] = []
    for plugin in (BmpImagePlugin.BmpImageFile, TiffImagePlugin.TiffImageFile):
        real = plugin._open

        def spy(self, real=real):  # type: ignore[no-untyped-def]
            tried.append(type(self).__name__)
            return real(self)

        monkeypatch.setattr(plugin, "_open", spy)
    for fmt in ("BMP", "TIFF"):
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, fmt)
        with pytest.raises(PhotoRejected, match="只能上传 JPEG、PNG 或 WebP"):
            clean_photo(out.getvalue(), MAX_BYTES, MAX_PIXELS)
    assert tried == []


def test_a_large_jpeg_is_decoded_at_the_size_it_is_wanted(monkeypatch) -> None:
    """draft(): libjpeg scales by 1/2, 1/4 or 1/8 while decoding, so a wide photo never
    takes its full size in memory; thumbnails are decoded small too."""
    loaded: list[tuple[int, int]] = []
    real = JpegImagePlugin.JpegImageFile.load

    def spy(self):  # type: ignore[no-untyped-def]
        loaded.append(self.size)
        return real(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    clean = clean_photo(jpeg((6000, 2000)), MAX_BYTES, MAX_PIXELS)
    assert loaded[0] == (3000, 1000) and (clean.width, clean.height) == (MAX_SIDE, 853)
    loaded.clear()
    thumbnail(clean)
    assert loaded[0] == (640, 214)


def test_decodes_at_once_are_bounded_and_a_long_wait_is_refused(monkeypatch) -> None:
    active, most = [0], [0]
    lock = threading.Lock()
    real = uploads._decode

    def slow(data: bytes, max_pixels: int):  # type: ignore[no-untyped-def]
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.05)
        try:
            return real(data, max_pixels)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(uploads, "_decode", slow)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(
        clean_photo(png(), MAX_BYTES, MAX_PIXELS))) for _ in range(3 * DECODE_SLOTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 * DECODE_SLOTS and most[0] == DECODE_SLOTS
    # Every slot taken for longer than an upload waits: refused with a 503, in Chinese.
    monkeypatch.setattr(uploads, "DECODE_WAIT_SECONDS", 0.05)
    for _ in range(DECODE_SLOTS):
        uploads._decoding.acquire()
    try:
        with pytest.raises(PhotoBusy) as caught:
            clean_photo(png(), MAX_BYTES, MAX_PIXELS)
    finally:
        for _ in range(DECODE_SLOTS):
            uploads._decoding.release()
    assert caught.value.status == 503 and has_chinese(caught.value.message)
    assert clean_photo(png(), MAX_BYTES, MAX_PIXELS).content_type == "image/png"


def test_other_files_are_refused_in_chinese() -> None:
    gif = io.BytesIO()
    Image.new("P", (5, 5)).save(gif, "GIF")
    bad = [b"just some text, not a photo", gif.getvalue(), jpeg_with_gps()[:200],
           b"%PDF-1.4\n", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"",
           b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>",
           b"\xff\xd8\xff\xe0 truncated jpeg"]
    for data in bad:
        with pytest.raises(PhotoRejected) as caught:
            clean_photo(data, MAX_BYTES, MAX_PIXELS)
        assert has_chinese(caught.value.message), data[:20]
    with pytest.raises(PhotoRejected) as caught:
        clean_photo(jpeg_with_gps(), 100, MAX_PIXELS)
    assert "不能超过" in caught.value.message


def test_large_photos_are_scaled_down() -> None:
    out = io.BytesIO()
    Image.new("RGB", (MAX_SIDE + 500, 20)).save(out, "JPEG")
    clean = clean_photo(out.getvalue(), MAX_BYTES, MAX_PIXELS)
    assert clean.width == MAX_SIDE and clean.height < 20


# --- the store: limits from settings, names on disk ------------------------------------------


def test_limits_come_from_the_stores_settings(app: Flask) -> None:
    app.config["THING_PHOTO_MAX_BYTES"] = 1024 * 1024
    with pytest.raises(PhotoRejected, match="1 MB"):
        STORE.clean(b"\xff\xd8" + b"0" * (2 * 1024 * 1024))
    app.config["THING_PHOTO_MAX_PIXELS"] = 100
    with pytest.raises(PhotoRejected, match="像素太多"):
        STORE.clean(png((20, 20)))


def test_reading_stops_one_byte_past_the_limit_and_skips_empty_inputs() -> None:
    files = [FileStorage(io.BytesIO(b"x" * 50), filename="a.jpg"),
             FileStorage(io.BytesIO(b""), filename=""), None,
             FileStorage(io.BytesIO(b"y" * 5), filename="b.png")]
    assert read_files(files, 10) == [b"x" * 11, b"y" * 5]


def test_photos_are_stored_under_random_names(app: Flask) -> None:
    stored = STORE.save(STORE.clean(jpeg_with_gps()))
    folder = Path(app.config["UPLOAD_DIR"]) / "things"
    stem, extension = stored.filename.split(".")
    assert len(stem) == 32 and int(stem, 16) >= 0 and extension == "jpg"
    assert stored.thumbnail is None and stored.content_type == "image/jpeg"
    data = (folder / stored.filename).read_bytes()
    assert stored.size == len(data) and CAMERA.encode() not in data
    assert [p.name for p in folder.iterdir()] == [stored.filename]
    assert STORE.save(STORE.clean(jpeg_with_gps())).filename != stored.filename


def test_thumbnails_sit_next_to_the_photo_without_metadata(app: Flask) -> None:
    stored = WITH_THUMBS.save(WITH_THUMBS.clean(jpeg_with_gps(size=(1200, 900))))
    assert stored.thumbnail == stored.filename.replace(".jpg", "-t.jpg")
    data = (WITH_THUMBS.directory() / stored.thumbnail).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and max(image.size) == THUMB_SIDE
        assert not image.getexif()
    assert CAMERA.encode() not in data


def test_a_store_by_content_names_files_by_their_hash(app: Flask) -> None:
    stored = BY_CONTENT.save(BY_CONTENT.clean(png()))
    data = (BY_CONTENT.directory() / stored.filename).read_bytes()
    assert stored.filename == hashlib.sha256(data).hexdigest() + ".png"


def test_saving_several_is_all_or_nothing(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    photos = [WITH_THUMBS.clean(png()), WITH_THUMBS.clean(jpeg_with_gps())]
    real = Path.write_bytes
    writes = iter(range(100))

    def failing(path: Path, data: bytes) -> int:
        if next(writes) == 3:  # the second photo's thumbnail
            raise OSError("disk full")
        return real(path, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(OSError):
        WITH_THUMBS.save_all(photos)
    assert not any(WITH_THUMBS.directory().iterdir())
    monkeypatch.undo()
    stored = WITH_THUMBS.save_all(photos)
    assert len(list(WITH_THUMBS.directory().iterdir())) == 4
    WITH_THUMBS.discard(stored)
    assert not any(WITH_THUMBS.directory().iterdir())
    WITH_THUMBS.remove(["../../../etc/passwd", "missing.jpg"])  # names only, missing is fine


# --- serving ---------------------------------------------------------------------------------


def test_a_private_photo_is_served_as_an_image_that_no_shared_cache_keeps(app: Flask) -> None:
    stored = STORE.save(STORE.clean(png()))
    with app.test_request_context(), STORE.send(stored.filename, stored.content_type,
                                                public=False) as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.cache_control.private and not response.cache_control.public
        response.direct_passthrough = False
        assert response.get_data() == (STORE.directory() / stored.filename).read_bytes()


def test_a_public_photo_may_be_cached(app: Flask) -> None:
    stored = BY_CONTENT.save(BY_CONTENT.clean(jpeg_with_gps()))
    with app.test_request_context(), BY_CONTENT.send(stored.filename, "image/jpeg", public=True,
                                                     max_age=86400) as response:
        assert response.cache_control.public and response.cache_control.max_age == 86400
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["", "missing.jpg", "../things/x.jpg", "a/b.jpg",
                                  "/etc/passwd", "..", "."])
def test_only_files_of_the_folder_are_served(app: Flask, name: str) -> None:
    STORE.save(STORE.clean(png()))
    (Path(app.config["UPLOAD_DIR"]) / "secret.txt").write_text("not a photo")
    with app.test_request_context(), pytest.raises(NotFound):
        STORE.send(name, "image/png", public=True)


def test_every_store_in_the_package_has_its_settings_in_the_defaults() -> None:
    defaults = default_config("/instance")
    prefixes = []
    for path in Path(sunshine.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "PhotoStore":
                prefix = node.args[1]
                assert isinstance(prefix, ast.Constant), path
                prefixes.append(prefix.value)
    assert len(prefixes) >= 4
    for prefix in prefixes:
        assert f"{prefix}_MAX_BYTES" in defaults and f"{prefix}_MAX_PIXELS" in defaults
