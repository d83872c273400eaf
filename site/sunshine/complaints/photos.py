"""Photos sent with a case: checked by content, re-encoded, stored under a random name.

A photo taken on a phone carries EXIF, often with GPS coordinates of where the reporter stood;
re-encoding the pixels into a fresh image drops all metadata. Only JPEG, PNG and WebP are
accepted, judged by what Pillow finds in the bytes, never by the file name or the browser's
content type. Decompression bombs (small files that decode to huge images) are refused.
"""

from __future__ import annotations

import io
import logging
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}
#: Larger photos are scaled down: enough to read a sign or see a building.
MAX_SIDE = 2560


class PhotoRejected(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_photo(data: bytes, max_bytes: int, max_pixels: int) -> CleanPhoto:
    """Decode, check and re-encode one uploaded photo.

    :raise PhotoRejected: too large, not a JPEG/PNG/WebP image, damaged, or a decompression bomb.
    """
    if not data:
        raise PhotoRejected("上传的照片是空文件")
    if len(data) > max_bytes:
        raise PhotoRejected(f"每张照片不能超过 {max_bytes // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _pixel_limit(max_pixels), Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise PhotoRejected("只能上传 JPEG、PNG 或 WebP 格式的照片")
                if image.width * image.height > max_pixels:
                    raise PhotoRejected("照片的像素太多，请缩小后再上传")
                image.seek(0)  # the first frame of an animation
                image.load()
                upright = ImageOps.exif_transpose(image)
                fmt = image.format
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected("照片的像素太多，请缩小后再上传") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        log.info("photo refused: %s", type(exc).__name__)
        raise PhotoRejected("无法识别这个文件，只能上传 JPEG、PNG 或 WebP 格式的照片") from None
    return _reencode(upright, fmt)


def thumbnail(photo: CleanPhoto, side: int = 480) -> bytes:
    """A smaller copy for lists and cards, in the photo's own format."""
    with Image.open(io.BytesIO(photo.data)) as image:
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

class _pixel_limit:  # noqa: N801  (used like a function)
    """Pillow's limit is a module global; set it for the decode and put it back."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __enter__(self) -> None:
        self.saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = self.limit

    def __exit__(self, *exc: object) -> None:
        Image.MAX_IMAGE_PIXELS = self.saved


def _reencode(image: Image.Image, fmt: str) -> CleanPhoto:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    if fmt == "JPEG":
        image = _on_white(image) if has_alpha else image.convert("RGB")
    else:
        image = image.convert("RGBA" if has_alpha else "RGB")
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    # A fresh image holds pixels only: no EXIF, GPS, XMP, ICC or text chunks come along.
    fresh = Image.frombytes(image.mode, image.size, image.tobytes())
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


def photo_dir(upload_dir: str | Path) -> Path:
    return Path(upload_dir) / "complaints"


def store(photo: CleanPhoto, upload_dir: str | Path) -> str:
    """Write the photo under a random name (128 bits) and return the name."""
    folder = photo_dir(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{photo.extension}"
    (folder / name).write_bytes(photo.data)
    return name


def remove(names: list[str], upload_dir: str | Path) -> None:
    """Delete stored files whose case was not saved after all."""
    for name in names:
        (photo_dir(upload_dir) / name).unlink(missing_ok=True)
