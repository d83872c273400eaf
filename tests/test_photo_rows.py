"""Photos with rows: attaching stores every file with its row in one commit or leaves neither,
and detaching removes the files only once the row's deletion is committed. (The checks and
re-encoding of each file are in tests/test_uploads.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Integer, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunshine.extensions import db
from sunshine.uploads import PhotoColumns, PhotoRejected, PhotoStore, StoredPhoto
from tests.images import jpeg_with_gps, png

STORE = PhotoStore("things", "THING_PHOTO", thumbnails=True)


class ThingBase(DeclarativeBase):
    """A table of its own, outside the site's schema."""


class ThingPhoto(ThingBase, PhotoColumns):
    __tablename__ = "thing_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note: Mapped[str] = mapped_column(String(20))  # NOT NULL: a row without it fails to commit


@pytest.fixture
def things(app: Flask) -> Flask:
    app.config.update(THING_PHOTO_MAX_BYTES=5 * 1024 * 1024, THING_PHOTO_MAX_PIXELS=12_000_000)
    ThingBase.metadata.create_all(db.engine)
    return app


def row(stored: StoredPhoto) -> ThingPhoto:
    return ThingPhoto(note="ok", **stored.columns())


def files_on_disk() -> list[str]:
    folder = STORE.directory()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def rows_in_database() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ThingPhoto)) or 0


def test_attach_stores_every_photo_with_its_row_in_one_commit(things: Flask) -> None:
    seen: list[list[ThingPhoto]] = []
    rows = STORE.attach([png(), jpeg_with_gps()], row, seen.append)
    assert seen == [rows] and len(rows) == 2
    db.session.remove()  # what was committed, not what the session holds
    stored = db.session.scalars(select(ThingPhoto).order_by(ThingPhoto.id)).all()
    assert [(r.content_type, r.width > 0) for r in stored] == [("image/png", True),
                                                               ("image/jpeg", True)]
    assert files_on_disk() == sorted(n for r in stored for n in (r.filename, r.thumbnail))


@pytest.mark.parametrize("failure", [RuntimeError("audit failed"), KeyboardInterrupt()])
def test_a_failure_after_the_files_are_written_leaves_no_file_and_no_row(
        things: Flask, failure: BaseException) -> None:
    def then(rows: list[ThingPhoto]) -> None:
        assert len(files_on_disk()) == 4  # both photos and their thumbnails were written
        raise failure

    with pytest.raises(type(failure)):
        STORE.attach([png(), jpeg_with_gps()], row, then)
    assert files_on_disk() == [] and rows_in_database() == 0


def test_a_failed_commit_leaves_no_file_and_no_row(things: Flask) -> None:
    with pytest.raises(IntegrityError):
        STORE.attach([png()], lambda s: ThingPhoto(**s.columns()), lambda rows: None)
    assert files_on_disk() == [] and rows_in_database() == 0


def test_a_failure_writing_the_second_photo_leaves_nothing(
        things: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.write_bytes
    writes = iter(range(100))

    def failing(path: Path, data: bytes) -> int:
        if next(writes) == 2:  # the second photo
            raise OSError("disk full")
        return real(path, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    called: list[object] = []
    with pytest.raises(OSError):
        STORE.attach([png(), jpeg_with_gps()], row, called.append)
    assert called == [] and files_on_disk() == [] and rows_in_database() == 0


def test_one_bad_file_and_nothing_is_written(things: Flask) -> None:
    called: list[object] = []
    with pytest.raises(PhotoRejected):
        STORE.attach([png(), b"<html>not a photo</html>"], row, called.append)
    assert called == [] and files_on_disk() == [] and rows_in_database() == 0


def test_detach_removes_the_files_only_after_the_commit(things: Flask) -> None:
    [kept, gone] = STORE.attach([png(), jpeg_with_gps()], row, lambda rows: None)
    kept_files = sorted([kept.filename, kept.thumbnail])

    def then() -> None:
        assert len(files_on_disk()) == 4  # the deletion is not committed yet

    STORE.detach(gone, then)
    assert files_on_disk() == kept_files and rows_in_database() == 1


def test_a_failed_commit_keeps_the_row_and_its_files(things: Flask) -> None:
    [photo] = STORE.attach([png()], row, lambda rows: None)
    before = files_on_disk()

    def then() -> None:
        db.session.add(ThingPhoto(filename="x", thumbnail="y", content_type="image/png",
                                  width=1, height=1))  # no note: the commit fails

    with pytest.raises(IntegrityError):
        STORE.detach(photo, then)
    assert files_on_disk() == before and len(before) == 2 and rows_in_database() == 1
