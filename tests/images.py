"""Real images made with Pillow for the photo tests: with EXIF and GPS, PNGs, bombs."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

#: The camera make written into the test photos' EXIF; it must never survive storing.
CAMERA = "SecretPhoneMaker"


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (22.0, 48.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (108.0, 22.0, 10.0)
    return exif


def jpeg_with_gps(orientation: int = 1, size: tuple[int, int] = (40, 30)) -> bytes:
    """A phone photo as it arrives: a JPEG whose EXIF holds the camera and a GPS position."""
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, "JPEG", exif=gps_exif(orientation))
    return out.getvalue()


def jpeg(size: tuple[int, int] = (60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 10)).save(out, "JPEG")
    return out.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims ``width`` × ``height``: a photo of that size
    costs as much to decode as any, however few bytes it takes."""
    data = bytearray(jpeg((16, 16)))
    sof = data.index(b"\xff\xc0")  # length (2), precision (1), height (2), width (2)
    data[sof + 5: sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


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
