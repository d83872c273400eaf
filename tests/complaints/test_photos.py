"""Photos sent with a case: cleaned and stored under random names, bad files refused with
nothing stored, in Chinese. (The photo checks themselves are in tests/test_uploads.py.)"""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from sunshine import uploads
from sunshine.complaints.models import Case, CasePhoto
from sunshine.extensions import db
from tests.complaints.conftest import form_data
from tests.images import CAMERA, jpeg_claiming, jpeg_with_gps, png, png_claiming


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
        assert b"Exif" not in stored and CAMERA.encode() not in stored
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


def test_an_upload_that_finds_every_decoder_busy_gets_a_chinese_503(app, client, regions,
                                                                    monkeypatch) -> None:
    monkeypatch.setattr(uploads, "DECODE_WAIT_SECONDS", 0.01)
    for _ in range(uploads.DECODE_SLOTS):
        uploads._decoding.acquire()
    try:
        busy = _upload(client, app, [(png(), "a.png")])
    finally:
        for _ in range(uploads.DECODE_SLOTS):
            uploads._decoding.release()
    assert busy.status_code == 503 and "请稍后再上传" in busy.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    bomb = _upload(client, app, [(jpeg_claiming(6300, 6300), "bomb.jpg")])
    assert bomb.status_code == 415 and "像素太多" in bomb.get_data(as_text=True)
