"""Photos of a need, stored only with the household's recorded consent.

The checks, re-encoding (no EXIF or GPS survives) and thumbnails are the shared photo store's;
this module adds the consent record and the rules of a need.
"""

from __future__ import annotations

from sunshine import pagecache
from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.matching.common import MatchingError, check_handler
from sunshine.matching.models import DONE_STATES, Need, NeedPhoto, NeedState
from sunshine.uploads import PhotoStore, StoredPhoto

__all__ = ["PHOTOS", "add_photos", "remove_photo"]

#: Random names under UPLOAD_DIR/matching/, with the complaint form's size and pixel limits.
PHOTOS = PhotoStore("matching", "COMPLAINT_PHOTO", thumbnails=True)
MAX_PHOTOS = 4


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

    def row(stored: StoredPhoto) -> NeedPhoto:
        return NeedPhoto(need_id=need.id, consent=consent[:300], added_by=staff.id,
                         **stored.columns())

    def added(rows: list[NeedPhoto]) -> None:
        pagecache.changed("matching", need.village_code)
        record("matching.photo_add", staff, "matching_need", need.id, need.village_code,
               f"{len(rows)} 张；同意记录：{consent[:200]}")

    return PHOTOS.attach(files, row, added)


def remove_photo(staff: User, need: Need, photo: NeedPhoto) -> None:
    """Delete a photo of the need, its files after the commit.

    :raise MatchingError: a photo of another need.
    """
    check_handler(staff, need.village_code)
    if photo.need_id != need.id:
        raise MatchingError("照片不属于这项需求")

    def removed() -> None:
        pagecache.changed("matching", need.village_code)
        record("matching.photo_remove", staff, "matching_need", need.id, need.village_code)

    PHOTOS.detach(photo, removed)
