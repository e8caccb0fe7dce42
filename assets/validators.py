"""PURE: decide whether bytes are an acceptable original, by their content, never their name.

The order matters and is cheapest-first: size → sniffed format → header (pixel caps, before any
decode) → frame count (bounded: a hostile file is never iterated to its end) → a bounded full
decode (truncated and damaged files fail here, not later in a render).
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageFile, JpegImagePlugin

from assets.exceptions import RejectedUpload
from assets.metadata import ImageFacts, digest_stream, read_facts, sniff_format

SNIFF_BYTES = 64
MAX_FILENAME_LENGTH = 200  # display names only: storage keys never contain the client's name
# The bounded decode of a JPEG uses libjpeg's DCT scaling (1/8): every entropy-coded byte is still
# decoded, so truncation is caught, but a 100 MP photo costs 1.5 MP of memory instead of 300 MB.
VALIDATION_DRAFT_DIVISOR = 8


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int
    max_image_pixels: int
    max_total_pixels: int
    max_frames: int
    allowed_formats: frozenset[str]


@dataclass(frozen=True)
class Inspection:
    facts: ImageFacts
    sha256: str
    byte_size: int


def inspect_upload(fileobj: IO[bytes], limits: Limits) -> Inspection:
    """Validate ``fileobj`` completely and say what it is. Raises ``RejectedUpload``."""
    fileobj.seek(0)
    digest = digest_stream(fileobj, max_bytes=limits.max_upload_bytes)
    if digest.byte_size == 0:
        raise RejectedUpload("The file is empty.", code="empty_file")
    if digest.truncated:
        raise RejectedUpload(
            f"The file is larger than the limit of {_mib(limits.max_upload_bytes)}.",
            code="file_too_large",
        )
    fileobj.seek(0)
    fmt = _check_format(fileobj.read(SNIFF_BYTES), limits)
    fileobj.seek(0)
    facts = _inspect_image(fileobj, fmt, limits)
    return Inspection(facts=facts, sha256=digest.sha256, byte_size=digest.byte_size)


def _check_format(head: bytes, limits: Limits) -> str:
    fmt = sniff_format(head)
    if fmt is None:
        raise RejectedUpload("The file is not an image.", code="invalid_image")
    if fmt not in limits.allowed_formats:
        allowed = ", ".join(sorted(limits.allowed_formats))
        raise RejectedUpload(
            f"{fmt} images are not accepted (allowed: {allowed}).", code="unsupported_format"
        )
    return fmt


def _inspect_image(fileobj: IO[bytes], fmt: str, limits: Limits) -> ImageFacts:
    image = _open_header(fileobj, fmt, limits)
    with image:
        _check_pixels(image.width, image.height, limits)
        frames = count_frames(image, limits)
        facts = read_facts(image, frame_count=frames)
    fileobj.seek(0)
    _decode_fully(fileobj, fmt, frames)
    return facts


def _open_header(fileobj: IO[bytes], fmt: str, limits: Limits) -> ImageFile.ImageFile:
    # Pillow only *warns* between its limit and twice its limit: make the warning an error.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(fileobj, formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise RejectedUpload(
                f"The image has too many pixels (limit {limits.max_image_pixels:,}).",
                code="too_many_pixels",
            ) from exc
        except Exception as exc:  # any decoder failure on untrusted bytes is the file's fault
            raise RejectedUpload(
                f"The file looks like {fmt} but its header cannot be read.", code="corrupt_image"
            ) from exc


def _check_pixels(width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_image_pixels:
        raise RejectedUpload(
            f"The image is {width}×{height} ({width * height:,} pixels); "
            f"the limit is {limits.max_image_pixels:,} pixels.",
            code="too_many_pixels",
        )


def count_frames(image: Image.Image, limits: Limits) -> int:
    """Frames, counted no further than needed to know a limit is exceeded."""
    frame_pixels = max(image.width * image.height, 1)
    ceiling = min(limits.max_frames, limits.max_total_pixels // frame_pixels)
    if image.format == "GIF":
        # GIF's n_frames walks the whole file; walk at most ceiling + 1 frames instead.
        frames = _walk_frames(image, ceiling + 1)
    else:
        # PNG (acTL), WebP (ANIM), HEIF and AVIF declare their frame count in a header.
        frames = int(getattr(image, "n_frames", 1))
    if frames > limits.max_frames:
        raise RejectedUpload(f"The image has more than {limits.max_frames:,} frames.", code="too_many_frames")
    if frames * frame_pixels > limits.max_total_pixels:
        raise RejectedUpload(
            f"The animation has {frames:,} frames of {image.width}×{image.height}, more than "
            f"{limits.max_total_pixels:,} pixels in all.",
            code="too_many_pixels",
        )
    return frames


def _walk_frames(image: Image.Image, stop: int) -> int:
    count = 1
    try:
        while count < stop:
            image.seek(count)
            count += 1
    except EOFError:
        pass
    except Exception as exc:
        raise RejectedUpload("The animation is damaged.", code="corrupt_image") from exc
    image.seek(0)
    return count


def _decode_fully(fileobj: IO[bytes], fmt: str, frames: int) -> None:
    try:
        with Image.open(fileobj, formats=[fmt]) as image:
            if isinstance(image, JpegImagePlugin.JpegImageFile):
                size = (image.width // VALIDATION_DRAFT_DIVISOR, image.height // VALIDATION_DRAFT_DIVISOR)
                image.draft(image.mode, size)
            for index in range(frames):
                image.seek(index)
                image.load()
    except MemoryError:
        raise
    except Exception as exc:
        raise RejectedUpload(
            "The image is truncated or damaged and cannot be decoded.", code="corrupt_image"
        ) from exc


def safe_display_name(filename: str, *, fallback: str = "upload") -> str:
    """A display name with no path, no control characters and a sane length.

    It is only ever shown; the storage key is chosen by the server (see ``Asset.storage_key``).
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return fallback
    stem, ext = os.path.splitext(name)
    return stem[: MAX_FILENAME_LENGTH - len(ext[:16])] + ext[:16]


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB"
