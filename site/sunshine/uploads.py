"""Uploaded photos: checked by content, re-encoded without metadata, stored, served.

A photo taken on a phone carries EXIF, often with the GPS position of where it was taken;
copying the pixels into a fresh image and re-encoding it drops all metadata. Only JPEG, PNG and
WebP are accepted, judged by what Pillow finds in the bytes, never by the file name or the
browser's content type; no other decoder of Pillow's ever sees an upload.

Decoding is where a small file costs a lot: a 600 KB JPEG can hold 40 million pixels, more than
a gigabyte of work. So the pixel count is read from the header and checked before anything is
decoded (the stores' defaults allow about 12 megapixels, a phone's photo); a JPEG is decoded
straight at the reduced size it is wanted at (``draft``); and a process decodes at most
``DECODE_SLOTS`` photos at a time, refusing (503) an upload that waits longer than
``DECODE_WAIT_SECONDS`` for a turn rather than piling up memory.

Each feature declares one :class:`PhotoStore`: its folder under ``UPLOAD_DIR``, the prefix of
its size and pixel settings, whether it keeps thumbnails and how files are named. A feature that
gives each photo a row (with :class:`PhotoColumns`) attaches and detaches photos through the
store, which keeps files and rows together; which row links a photo, who may add or see it and
what else changes with it stay with the feature.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from flask import Response, current_app, send_from_directory
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from sunshine.extensions import db

log = logging.getLogger(__name__)

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}
#: The only decoders an upload is offered to.
OPEN_FORMATS = tuple(FORMATS)
#: The content type of a stored file, by its extension.
CONTENT_TYPES = {extension: content_type for content_type, extension in FORMATS.values()}
#: Larger photos are scaled down: enough to read a sign or see a building.
MAX_SIDE = 2560
#: The longest side of a thumbnail, for lists and cards.
THUMB_SIDE = 480

#: Photos decoded at once by one process, and how long an upload waits for a turn.
DECODE_SLOTS = 2
DECODE_WAIT_SECONDS = 10

NOT_A_PHOTO = "无法识别这个文件，只能上传 JPEG、PNG 或 WebP 格式的照片"
TOO_MANY_PIXELS = "照片的像素太多，请缩小后再上传"
BUSY = "正在处理的照片较多，请稍后再上传"

_decoding = threading.BoundedSemaphore(DECODE_SLOTS)


class PhotoRejected(ValueError):
    """A file that is not an acceptable photo; the message is for the person who sent it, and
    ``status`` the HTTP status a view answers with."""

    status = 415

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PhotoBusy(PhotoRejected):
    """Every decoding slot stayed taken: try again later."""

    status = 503


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredPhoto:
    """What a feature records about a stored photo; ``thumbnail`` is None without thumbnails."""

    filename: str
    thumbnail: str | None
    content_type: str
    width: int
    height: int
    size: int

    def columns(self) -> dict[str, str | int | None]:
        """The values of a row's :class:`PhotoColumns`."""
        return {"filename": self.filename, "thumbnail": self.thumbnail,
                "content_type": self.content_type, "width": self.width, "height": self.height}


class PhotoColumns:
    """The columns of a row that stands for one stored photo and its thumbnail, declared once
    for every feature's photo table."""

    filename: Mapped[str] = mapped_column(String(64))
    thumbnail: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)


Row = TypeVar("Row", bound=PhotoColumns)


def clean_photo(data: bytes, max_bytes: int, max_pixels: int) -> CleanPhoto:
    """Decode, check and re-encode one uploaded photo.

    :raise PhotoRejected: too large, not a JPEG/PNG/WebP image, damaged, or a decompression bomb.
    """
    if not data:
        raise PhotoRejected("上传的照片是空文件")
    if len(data) > max_bytes:
        raise PhotoRejected(f"每张照片不能超过 {max_bytes // (1024 * 1024)} MB")
    if not _decoding.acquire(timeout=DECODE_WAIT_SECONDS):
        log.warning("photo refused: every decoding slot busy for %ss", DECODE_WAIT_SECONDS)
        raise PhotoBusy(BUSY)
    try:
        return _decode(data, max_pixels)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        log.info("photo refused: %s", type(exc).__name__)
        raise PhotoRejected(NOT_A_PHOTO) from None
    finally:
        _decoding.release()


def _decode(data: bytes, max_pixels: int) -> CleanPhoto:
    # Opening reads the header only: the size is known before a pixel is decoded.
    with Image.open(io.BytesIO(data), formats=OPEN_FORMATS) as image:
        if image.format not in FORMATS:  # pragma: no cover  (open admits no other)
            raise PhotoRejected(NOT_A_PHOTO)
        if image.width * image.height > max_pixels:
            raise PhotoRejected(TOO_MANY_PIXELS)
        image.seek(0)  # the first frame of an animation
        _draft(image, MAX_SIDE)
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return _reencode(image, image.format)


def _draft(image: Image.Image, side: int) -> None:
    """Let a JPEG decode at 1/2, 1/4 or 1/8 scale when its longest side would still reach
    ``side``: the scaling-down then costs nothing (other formats ignore this)."""
    longest = max(image.size)
    if longest > side:
        image.draft(None, (max(1, image.width * side // longest),
                           max(1, image.height * side // longest)))


def thumbnail(photo: CleanPhoto, side: int = THUMB_SIDE) -> bytes:
    """A smaller copy for lists and cards, in the photo's own format."""
    with Image.open(io.BytesIO(photo.data), formats=OPEN_FORMATS) as image:
        _draft(image, side)
        image.load()
        small = image.copy()
    small.thumbnail((side, side))
    out = io.BytesIO()
    if photo.extension == "png":
        small.save(out, "PNG", optimize=True)
    elif photo.extension == "webp":
        small.save(out, "WEBP", quality=80)
    else:
        small.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def _reencode(image: Image.Image, fmt: str) -> CleanPhoto:
    """Scaled down and copied into a fresh image; each step works on the decoded image in
    place where it can, so that a photo is held in memory as few times as possible."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    if fmt == "JPEG" and has_alpha:
        image = _on_white(image)
    else:
        mode = "RGBA" if has_alpha else "RGB"
        image = image if image.mode == mode else image.convert(mode)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    # A fresh image holds pixels only: no EXIF, GPS, XMP, ICC or text chunks come along.
    fresh = Image.new(image.mode, image.size)
    fresh.paste(image)
    del image
    out = io.BytesIO()
    if fmt == "JPEG":
        fresh.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        fresh.save(out, "PNG", optimize=True)
    else:
        fresh.save(out, "WEBP", quality=85)
    content_type, extension = FORMATS[fmt]
    return CleanPhoto(out.getvalue(), content_type, extension, fresh.width, fresh.height)


def _on_white(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: flatten onto white rather than black."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def read_files(files: Iterable[FileStorage | None], max_bytes: int) -> list[bytes]:
    """Each chosen file, read up to one byte past the limit (enough for ``clean_photo`` to
    refuse it without holding a whole oversized file); empty file inputs are skipped."""
    return [f.stream.read(max_bytes + 1) for f in files if f and f.filename]


@dataclass(frozen=True)
class PhotoStore:
    """One feature's photos: ``UPLOAD_DIR/<folder>/``, limited by the settings
    ``<settings>_MAX_BYTES`` and ``<settings>_MAX_PIXELS``.

    Files get 128-bit random names, or with ``by_content`` the SHA-256 of their bytes (a
    record that holds the name then vouches for the picture). With ``thumbnails`` each photo
    gets a smaller copy named ``<stem>-t.<ext>`` next to it.
    """

    folder: str
    settings: str
    thumbnails: bool = False
    by_content: bool = False

    @property
    def max_bytes(self) -> int:
        return int(current_app.config[f"{self.settings}_MAX_BYTES"])

    @property
    def max_pixels(self) -> int:
        return int(current_app.config[f"{self.settings}_MAX_PIXELS"])

    def directory(self) -> Path:
        return Path(current_app.config["UPLOAD_DIR"]) / self.folder

    def read(self, files: Iterable[FileStorage | None]) -> list[bytes]:
        """The request's chosen files, each read up to one byte past this store's limit."""
        return read_files(files, self.max_bytes)

    def clean(self, data: bytes) -> CleanPhoto:
        """``clean_photo`` with this store's limits. :raise PhotoRejected: see there."""
        return clean_photo(data, self.max_bytes, self.max_pixels)

    def save(self, photo: CleanPhoto) -> StoredPhoto:
        """Write a cleaned photo (and its thumbnail) and say what was written."""
        folder = self.directory()
        folder.mkdir(parents=True, exist_ok=True)
        stem = hashlib.sha256(photo.data).hexdigest() if self.by_content \
            else secrets.token_hex(16)
        name = f"{stem}.{photo.extension}"
        files = [(name, photo.data)]
        thumb = None
        if self.thumbnails:
            thumb = f"{stem}-t.{photo.extension}"
            files.append((thumb, thumbnail(photo)))
        written: list[str] = []
        try:
            for file, data in files:
                if not (folder / file).exists():  # named by content: already there, same bytes
                    written.append(file)
                    (folder / file).write_bytes(data)
        except BaseException:
            self.remove(written)
            raise
        return StoredPhoto(name, thumb, photo.content_type, photo.width, photo.height,
                           len(photo.data))

    def save_all(self, photos: Iterable[CleanPhoto]) -> list[StoredPhoto]:
        """Save every photo, or none: files already written are removed if one fails."""
        stored: list[StoredPhoto] = []
        try:
            for photo in photos:
                stored.append(self.save(photo))
        except BaseException:
            self.discard(stored)
            raise
        return stored

    def discard(self, stored: Iterable[StoredPhoto]) -> None:
        """Remove photos whose rows were not saved after all."""
        self.remove([n for s in stored for n in (s.filename, s.thumbnail) if n])

    def remove(self, names: Iterable[str]) -> None:
        """Delete stored files by name; a missing file is no error. (Files named by content
        may be shared by several rows: such stores keep their files.)"""
        folder = self.directory()
        for name in names:
            (folder / Path(name).name).unlink(missing_ok=True)

    def attach(self, files: list[bytes], make_row: Callable[[StoredPhoto], Row],
               then: Callable[[list[Row]], None]) -> list[Row]:
        """Store photos with their rows in one commit: every file is cleaned before any is
        written, then all are saved, ``make_row`` gives each its row, ``then`` does what else
        changes with them (cache, audit log) and the session commits. When anything fails,
        the session rolls back and the written files are removed: no file without its row.

        :raise PhotoRejected: a file is not a usable photo (nothing written).
        """
        cleaned = [self.clean(data) for data in files]
        stored = self.save_all(cleaned)
        try:
            rows = [make_row(photo) for photo in stored]
            db.session.add_all(rows)
            then(rows)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            self.discard(stored)
            raise
        return rows

    def detach(self, row: PhotoColumns, then: Callable[[], None]) -> None:
        """Delete a photo's row, do ``then`` (cache, audit log) and commit; the files go only
        after the commit, so that a failed commit leaves no row without its file."""
        names = [row.filename, row.thumbnail]
        db.session.delete(row)
        then()
        db.session.commit()
        self.remove(n for n in names if n)

    def send(self, name: str, content_type: str, *, public: bool,
             max_age: int | None = None) -> Response:
        """Serve one stored file: 404 when it is absent or the name leaves the folder.

        A photo the public may not see is marked ``private`` so that no shared cache keeps it;
        ``nosniff`` stops a browser from reading the bytes as anything but an image.
        """
        if not name or Path(name).name != name:
            raise NotFound()
        response = send_from_directory(self.directory(), name, mimetype=content_type,
                                       max_age=max_age)
        if not public:
            response.cache_control.private = True
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
