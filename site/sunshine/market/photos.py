"""Listing photos: the complaints feature's checks and re-encoding, plus a thumbnail.

``sunshine.complaints.photos.clean_photo`` already judges the format by the bytes, refuses
decompression bombs and re-encodes the pixels into a fresh image (no EXIF, GPS or text chunks);
listings reuse it and only add a small JPEG/PNG thumbnail and their own folder.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sunshine.complaints.photos import CleanPhoto, PhotoRejected, clean_photo, thumbnail

__all__ = ["PhotoRejected", "StoredPhoto", "clean_photo", "photo_dir", "remove", "store"]

THUMB_SIDE = 480


@dataclass(frozen=True)
class StoredPhoto:
    filename: str
    thumbnail: str
    content_type: str
    width: int
    height: int


def photo_dir(upload_dir: str | Path) -> Path:
    return Path(upload_dir) / "market"


def store(photo: CleanPhoto, upload_dir: str | Path) -> StoredPhoto:
    """Write the photo and its thumbnail under random names (128 bits)."""
    folder = photo_dir(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = secrets.token_hex(16)
    name, thumb = f"{stem}.{photo.extension}", f"{stem}-t.{photo.extension}"
    (folder / name).write_bytes(photo.data)
    (folder / thumb).write_bytes(thumbnail(photo, THUMB_SIDE))
    return StoredPhoto(name, thumb, photo.content_type, photo.width, photo.height)


def remove(names: list[str], upload_dir: str | Path) -> None:
    for name in names:
        (photo_dir(upload_dir) / Path(name).name).unlink(missing_ok=True)
