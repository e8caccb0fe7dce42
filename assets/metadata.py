"""PURE: read what an image *is*: format, size as displayed, mode, ICC, alpha, EXIF subset, hash.

No models, no storages, no settings: everything here takes a file object or a PIL image.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

import pillow_heif
from PIL import ExifTags, Image

# Pillow has no HEIF decoder of its own; pillow-heif registers one under the format name "HEIF".
pillow_heif.register_heif_opener()

CHUNK_BYTES = 1024 * 1024  # hashing reads 1 MiB at a time: a 50 MB file is never held in memory

# EXIF orientations 5..8 are transposes: the displayed image has width and height swapped.
TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
MAX_EXIF_VALUE_LENGTH = 255

# Content-Type for each format we may store or emit (Image.MIME lacks HEIF on some builds).
CONTENT_TYPES: dict[str, str] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
    "HEIF": "image/heif",
}
EXTENSIONS: dict[str, str] = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "AVIF": "avif",
    "HEIF": "heic",
}


@dataclass(frozen=True)
class StreamDigest:
    sha256: str
    byte_size: int
    truncated: bool  # reading stopped at the byte limit: the file is larger than byte_size


@dataclass(frozen=True)
class ImageFacts:
    """What ingest records about an original. Width and height are as displayed."""

    format: str
    content_type: str
    width: int
    height: int
    mode: str
    frame_count: int
    has_icc: bool
    has_alpha: bool
    orientation: int
    exif: dict[str, str] = field(default_factory=dict)

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.format, self.format.lower())


def iter_chunks(fileobj: IO[bytes], chunk_size: int = CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := fileobj.read(chunk_size):
        yield chunk


def digest_stream(fileobj: IO[bytes], *, max_bytes: int) -> StreamDigest:
    """SHA-256 and size of a stream, reading at most ``max_bytes + 1`` bytes of it."""
    hasher = hashlib.sha256()
    size = 0
    for chunk in iter_chunks(fileobj):
        hasher.update(chunk)
        size += len(chunk)
        if size > max_bytes:
            return StreamDigest(hasher.hexdigest(), size, truncated=True)
    return StreamDigest(hasher.hexdigest(), size, truncated=False)


# --- sniffing: what the bytes say the format is, whatever the name says -----------------------

_ISO_BMFF_BRANDS = {
    b"avif": "AVIF",
    b"avis": "AVIF",
    b"heic": "HEIF",
    b"heix": "HEIF",
    b"hevc": "HEIF",
    b"hevx": "HEIF",
    b"heim": "HEIF",
    b"heis": "HEIF",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
}
# (prefix, format) for formats recognised only to be named in an `unsupported_format` error.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"%PDF", "PDF"),
    (b"8BPS", "PSD"),
    (b"%!PS", "EPS"),
    (b"\xc5\xd0\xd3\xc6", "EPS"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG2000"),
    (b"\xffO\xffQ", "JPEG2000"),
    (b"\xff\x0a", "JXL"),
    (b"\x00\x00\x00\x0cJXL ", "JXL"),
    (b"qoif", "QOI"),
)
_SVG_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg", re.S)


def sniff_format(head: bytes) -> str | None:
    """Name the format from the first bytes (at least 64), or None when nothing matches."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        return _sniff_iso_bmff(head)
    for prefix, name in _SIGNATURES:
        if head.startswith(prefix):
            return name
    if _SVG_START.match(head.lstrip(b"\xef\xbb\xbf")):
        return "SVG"
    return None


def _sniff_iso_bmff(head: bytes) -> str | None:
    (box_size,) = struct.unpack(">I", head[:4])
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)]
    # AVIF files often carry "mif1" as major brand and "avif" among the compatible ones.
    if any(brand in (b"avif", b"avis") for brand in brands):
        return "AVIF"
    for brand in brands:
        if brand in _ISO_BMFF_BRANDS:
            return _ISO_BMFF_BRANDS[brand]
    return None


# --- facts from an opened image ----------------------------------------------------------------


def orientation_of(image: Image.Image) -> int:
    """The EXIF orientation, read the way browsers read it: a SHORT from 1 to 8, else 1.

    The one reading used everywhere (stored size, renditions): Pillow hands back a RATIONAL 6/1
    as a number equal to 6, but Chromium and Firefox ignore an orientation of the wrong type and
    show such a file unrotated, so dam does too.
    """
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # a damaged EXIF block must not make a good image unreadable
        return 1
    if type(value) is not int:  # bool, IFDRational, tuples: all the wrong type
        return 1
    return value if 1 <= value <= 8 else 1


def displayed_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in TRANSPOSED_ORIENTATIONS else (width, height)


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ALPHA_MODES or "transparency" in image.info


# (where, tag, our name). GPS is deliberately absent: it never leaves the original.
_EXIF_SUBSET: tuple[tuple[str, int, str], ...] = (
    ("ifd0", ExifTags.Base.Make, "camera_make"),
    ("ifd0", ExifTags.Base.Model, "camera_model"),
    ("ifd0", ExifTags.Base.Artist, "artist"),
    ("ifd0", ExifTags.Base.Copyright, "copyright"),
    ("exif", ExifTags.Base.LensMake, "lens_make"),
    ("exif", ExifTags.Base.LensModel, "lens_model"),
    ("exif", ExifTags.Base.DateTimeOriginal, "taken_at"),
)


def exif_subset(image: Image.Image) -> dict[str, str]:
    """Camera, lens, taken-at and copyright: what an editor wants to see, nothing that locates."""
    try:
        exif = image.getexif()
        sub_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:
        return {}
    found: dict[str, str] = {}
    for where, tag, name in _EXIF_SUBSET:
        value = (exif if where == "ifd0" else sub_ifd).get(tag)
        text = _exif_text(value)
        if text:
            found[name] = _iso_datetime(text) if name == "taken_at" else text
    return found


def _exif_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ch.isprintable()).strip()[:MAX_EXIF_VALUE_LENGTH]


def _iso_datetime(text: str) -> str:
    """EXIF writes ``2024:05:01 12:30:00``; ISO 8601 is what every client parses."""
    match = re.fullmatch(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})", text)
    return "{}-{}-{}T{}:{}:{}".format(*match.groups()) if match else text


def read_facts(image: Image.Image, *, frame_count: int) -> ImageFacts:
    fmt = str(image.format)
    orientation = orientation_of(image)
    width, height = displayed_size(image.width, image.height, orientation)
    return ImageFacts(
        format=fmt,
        content_type=CONTENT_TYPES.get(fmt) or Image.MIME.get(fmt, "application/octet-stream"),
        width=width,
        height=height,
        mode=image.mode,
        frame_count=frame_count,
        has_icc=bool(image.info.get("icc_profile")),
        has_alpha=has_alpha(image),
        orientation=orientation,
        exif=exif_subset(image),
    )
