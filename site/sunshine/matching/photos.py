"""Photos of a need, stored only with the household's recorded consent.

The checks and re-encoding are the complaints feature's ``clean_photo`` (format judged by the
bytes, decompression bombs refused, a fresh image so that no EXIF or GPS survives); this module
adds a thumbnail, random file names in ``UPLOAD_DIR/matching/`` and the consent record.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app

from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.complaints.photos import CleanPhoto, PhotoRejected, clean_photo, thumbnail
from sunshine.extensions import db
from sunshine.matching.common import MatchingError, check_handler
from sunshine.matching.models import DONE_STATES, Need, NeedPhoto, NeedState

__all__ = ["PhotoRejected", "add_photos", "photo_dir", "remove_photo"]

THUMB_SIDE = 480
MAX_PHOTOS = 4


def photo_dir(upload_dir: str | Path) -> Path:
    return Path(upload_dir) / "matching"


def _store(photo: CleanPhoto, folder: Path) -> tuple[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = secrets.token_hex(16)
    name, thumb = f"{stem}.{photo.extension}", f"{stem}-t.{photo.extension}"
    (folder / name).write_bytes(photo.data)
    (folder / thumb).write_bytes(thumbnail(photo, THUMB_SIDE))
    return name, thumb


def add_photos(staff: User, need: Need, files: list[bytes], consent: str) -> list[NeedPhoto]:
    """Check every file first, then store them all with the consent record, in one commit.

    :raise MatchingError: no consent recorded, too many photos, or the need has ended.
    :raise PhotoRejected: a file is not a usable photo.
    """
    check_handler(staff, need.village_code)
    consent = consent.strip()
    if not consent:
        raise MatchingError("请记录受助户的同意", "consent")
    if need.state in (*[s.value for s in DONE_STATES], NeedState.WITHDRAWN.value):
        raise MatchingError("这项需求已结束，不能再添加照片", "photos")
    if not files:
        raise MatchingError("请选择照片", "photos")
    if len(need.photos) + len(files) > MAX_PHOTOS:
        raise MatchingError(f"每项需求最多 {MAX_PHOTOS} 张照片", "photos")
    config = current_app.config
    cleaned = [clean_photo(data, config.get("COMPLAINT_PHOTO_MAX_BYTES", 5 * 1024 * 1024),
                           config.get("COMPLAINT_PHOTO_MAX_PIXELS", 40_000_000)) for data in files]
    folder = photo_dir(config["UPLOAD_DIR"])
    stored: list[tuple[CleanPhoto, str, str]] = []
    try:
        for photo in cleaned:
            stored.append((photo, *_store(photo, folder)))
        rows = [NeedPhoto(need_id=need.id, filename=name, thumbnail=thumb,
                          content_type=photo.content_type, width=photo.width,
                          height=photo.height, consent=consent[:300], added_by=staff.id)
                for photo, name, thumb in stored]
        db.session.add_all(rows)
        record("matching.photo_add", staff, "matching_need", need.id, need.village_code,
               f"{len(rows)} 张；同意记录：{consent[:200]}")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for _, name, thumb in stored:
            (folder / name).unlink(missing_ok=True)
            (folder / thumb).unlink(missing_ok=True)
        raise
    return rows


def remove_photo(staff: User, need: Need, photo: NeedPhoto) -> None:
    check_handler(staff, need.village_code)
    if photo.need_id != need.id:
        raise MatchingError("照片不属于这项需求")
    names = [photo.filename, photo.thumbnail]
    db.session.delete(photo)
    record("matching.photo_remove", staff, "matching_need", need.id, need.village_code)
    db.session.commit()
    folder = photo_dir(current_app.config["UPLOAD_DIR"])
    for name in names:
        (folder / Path(name).name).unlink(missing_ok=True)
