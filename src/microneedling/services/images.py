"""Checking and cleaning a photo before it is stored.

Only real JPEG or PNG images are accepted: the file is decoded (``verify`` then a full load),
within a size limit and a pixel limit checked from the header before any pixel is decoded
(decompression bombs are refused). The EXIF orientation is applied to the pixels, then the image is
re-encoded without any metadata (EXIF with its GPS location, XMP, comments, text chunks); only the
colour profile is kept. The SHA-256 of the file as received is kept beside the stored file's.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from microneedling.errors import PhotoError

# Pillow's EXIF reader logs every tag's value at DEBUG, GPS position included; location stays out
# of the application's logs whatever level they run at.
logging.getLogger("PIL.TiffImagePlugin").setLevel(logging.INFO)

#: Formats accepted, as Pillow names them (a JPEG may open as MPO, the multi-picture JPEG some
#: phones write; its first picture is kept).
FORMATS = ("JPEG", "PNG")
JPEG_QUALITY = 95


@dataclass(frozen=True)
class CleanImage:
    original_sha256: str
    data: bytes
    sha256: str
    media_type: str
    suffix: str
    width: int
    height: int


def clean_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Check ``data`` is an acceptable image and return it oriented and without metadata."""
    if not data:
        raise PhotoError("the file is empty", field="photo")
    if len(data) > max_bytes:
        raise PhotoError(
            f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes", field="photo"
        )
    original_sha256 = hashlib.sha256(data).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
                kind = probe.format
                width, height = probe.size
                if width * height > max_pixels:
                    raise PhotoError(
                        f"the image is {width}×{height} pixels; the limit is {max_pixels:,} pixels",
                        field="photo",
                    )
                probe.verify()
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                image.load()
                icc_profile = image.info.get("icc_profile")
                oriented = ImageOps.exif_transpose(image)
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError("the image has too many pixels", field="photo") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise PhotoError(
                "not a readable JPEG or PNG image (a photo must be a real image file)",
                field="photo",
            ) from None
    oriented.info = {}
    buffer = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if kind in ("JPEG", "MPO"):
        if oriented.mode not in ("RGB", "L"):
            oriented = oriented.convert("RGB")
        oriented.save(buffer, "JPEG", quality=JPEG_QUALITY, **options)
        media_type, suffix = "image/jpeg", "jpg"
    else:
        if oriented.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
            oriented = oriented.convert("RGBA")
        oriented.save(buffer, "PNG", optimize=False, **options)
        media_type, suffix = "image/png", "png"
    stored = buffer.getvalue()
    return CleanImage(
        original_sha256=original_sha256,
        data=stored,
        sha256=hashlib.sha256(stored).hexdigest(),
        media_type=media_type,
        suffix=suffix,
        width=oriented.width,
        height=oriented.height,
    )
