"""PURE: decide whether bytes are an acceptable original, by their content, never their name.

The order matters and is cheapest-first: size → sniffed format → container structure (every
frame's own size against the pixel caps, the JPEG process, checksums and missing rows; no pixel is
decoded) → header → a bounded full decode, in a resource-limited child process for the decoder
paths that are not known safe in-process (truncated and damaged files fail here, not in a render).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageFile, JpegImagePlugin

from assets import analysis, sandbox, structure
from assets.exceptions import RejectedUpload
from assets.filenames import safe_display_name
from assets.metadata import ImageFacts, digest_stream, read_facts, sniff_format

__all__ = ["Inspection", "Limits", "inspect_upload", "safe_display_name"]

SNIFF_BYTES = 64
# The bounded decode of a JPEG uses libjpeg's DCT scaling (1/8): every entropy-coded byte is still
# decoded, so damage is caught, but a 100 MP photo costs 1.5 MP of memory instead of 300 MB.
VALIDATION_DRAFT_DIVISOR = 8
# A sandboxed decode may add this much address space to what the child inherits: a full-size
# RGBA frame at the per-frame cap (4 bytes/px) plus the decoder's buffers, which for a progressive
# JPEG are its whole coefficient arrays (2 bytes per sample, up to 4 components at 4:4:4: 8 bytes/px;
# an arithmetic progressive 4:4:4 RGB JPEG of 100 MP added 964 MiB, bench/limits.py), plus 256 MiB
# for the codec's own tables, the file itself (an arithmetic JPEG is read whole) and the arenas.
SANDBOX_BYTES_PER_PIXEL = 12
SANDBOX_BASE_BYTES = 256 * 1024 * 1024
SANDBOX_CPU_SECONDS = 60  # a 100 MP lossless JPEG decodes in ~2 s on one core of the dev machine
SANDBOX_WALL_SECONDS = 120.0  # CPU time, plus waiting for a core on a busy machine


class SandboxMode:
    """``DAM_DECODE_SANDBOX``: which validation decodes run in a child process."""

    OFF = "off"  # none (a codec crash kills the worker)
    RARE = "rare"  # decoder paths outside the mainstream: lossless/arithmetic JPEG (default)
    ALL = "all"  # every format (+~8 ms per upload, README)


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int
    max_image_pixels: int
    max_total_pixels: int
    max_frames: int
    allowed_formats: frozenset[str]
    sandbox: str = SandboxMode.RARE
    # Around the full decode, given the bytes of pixels it will hold: a process's bound on heavy
    # decodes at once (``dam.slots``), which may refuse with ``Overloaded``. None: no bound.
    decode_gate: Callable[[int], AbstractContextManager[object]] | None = None


@dataclass(frozen=True)
class Inspection:
    facts: ImageFacts
    sha256: str
    byte_size: int
    notes: tuple[str, ...] = ()  # what the decoder was not shown (an unusable ICC profile, …)
    preview: Image.Image | None = None  # the first frame, ≤ 64 px, kept by the decode (assets.analysis)


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
    layout = _read_structure(fileobj, fmt, limits)
    facts, preview = _inspect_image(structure.omitting(fileobj, layout), fmt, layout, limits)
    return Inspection(facts=facts, sha256=digest.sha256, byte_size=digest.byte_size, notes=layout.notes,
                      preview=preview)  # fmt: skip


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


# --- structure: limits on what will really be decoded, before any decoder runs ------------------


def _read_structure(fileobj: IO[bytes], fmt: str, limits: Limits) -> structure.Structure:
    try:
        layout = structure.read_structure(
            fileobj, fmt, frame_stop=limits.max_frames + 1, pixel_stop=limits.max_image_pixels
        )
    except structure.StructureError as exc:
        raise RejectedUpload(exc.message, code=exc.code) from exc
    if layout.jpeg is not None:
        _check_jpeg_process(layout.jpeg)
    if layout.frames:
        _check_frames(layout, limits)
    return layout


def _check_jpeg_process(process: structure.JpegProcess) -> None:
    # Pillow reads 8-bit samples only, and libjpeg-turbo implements no hierarchical process.
    if process.precision != 8 or process.hierarchical:
        raise RejectedUpload(f"{process.describe()} images are not accepted.", code="unsupported_format")


def _check_frames(layout: structure.Structure, limits: Limits) -> None:
    """Every frame's own size, the canvas the decoder composes frames onto, and their total."""
    if layout.frames > limits.max_frames:
        raise RejectedUpload(f"The image has more than {limits.max_frames:,} frames.", code="too_many_frames")
    frame = layout.largest_frame
    if frame is not None:
        _check_pixels(frame.width, frame.height, limits, what="A frame" if layout.frames > 1 else "The image")
    if frame is None or (frame.width, frame.height) != layout.canvas:
        _check_pixels(*layout.canvas, limits, what="The canvas its frames are drawn on")
    _check_total(layout.frames, layout.canvas, limits)


def _check_pixels(width: int, height: int, limits: Limits, *, what: str = "The image") -> None:
    if width * height > limits.max_image_pixels:
        raise RejectedUpload(
            f"{what} is {width}×{height} ({width * height:,} pixels); "
            f"the limit is {limits.max_image_pixels:,} pixels.",
            code="too_many_pixels",
        )


def _check_total(frames: int, size: tuple[int, int], limits: Limits) -> None:
    if frames * size[0] * size[1] > limits.max_total_pixels:
        raise RejectedUpload(
            f"The animation has {frames:,} frames of {size[0]}×{size[1]}, more than "
            f"{limits.max_total_pixels:,} pixels in all.",
            code="too_many_pixels",
        )


# --- header and decode ---------------------------------------------------------------------------


def _inspect_image(
    fileobj: IO[bytes], fmt: str, layout: structure.Structure, limits: Limits
) -> tuple[ImageFacts, Image.Image | None]:
    image = _open_header(fileobj, fmt, limits)
    with image:
        _check_pixels(image.width, image.height, limits)
        frames = layout.frames or _heif_frames(image, limits)
        facts = read_facts(image, frame_count=frames)
    gate = limits.decode_gate or (lambda _: nullcontext())
    with gate(decode_bytes(image.width, image.height, layout)):
        if _sandboxed(layout, limits):
            decoded = _decode_in_sandbox(fileobj, fmt, frames, layout, limits)
        else:
            decoded = decode_fully(fileobj, fmt, frames, scaled=_scalable(layout), jpeg=layout.jpeg)
    _raise_refusal(decoded[0])
    return facts, decoded[1]


def _open_header(fileobj: IO[bytes], fmt: str, limits: Limits) -> ImageFile.ImageFile:
    fileobj.seek(0)
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


def _heif_frames(image: Image.Image, limits: Limits) -> int:
    """HEIF/AVIF: the images of a sequence (or a HEIF's several top-level images) as the decoder
    lists them, each with its own size, without decoding any."""
    sizes = [image.size] * int(getattr(image, "n_frames", 1))
    heif_file = getattr(image, "_heif_file", None)  # pillow-heif: every top-level image's size
    if heif_file is not None:
        sizes = [tuple(item.size) for item in heif_file]
    if len(sizes) > limits.max_frames:
        raise RejectedUpload(f"The image has more than {limits.max_frames:,} frames.", code="too_many_frames")
    for width, height in sizes:
        _check_pixels(width, height, limits, what="A frame")
    if sum(w * h for w, h in sizes) > limits.max_total_pixels:
        _check_total(len(sizes), max(sizes, key=lambda s: s[0] * s[1]), limits)
    return len(sizes)


def decode_bytes(width: int, height: int, layout: structure.Structure) -> int:
    """About what the validation decode of one frame holds: 4 bytes a pixel (the widest mode it
    meets); a JPEG decoded at 1/8 scale 1/64 of that, but a progressive one keeps its coefficients
    at full size (2 bytes for each of 3 samples a pixel), scaled or not."""
    pixels = width * height
    held = pixels * 4 // (64 if _scalable(layout) else 1)
    if layout.jpeg is not None and layout.jpeg.name == "progressive":
        held += pixels * 6
    return held


def _scalable(layout: structure.Structure) -> bool:
    return layout.jpeg is not None and layout.jpeg.scaled_decode_safe


def _sandboxed(layout: structure.Structure, limits: Limits) -> bool:
    if limits.sandbox == SandboxMode.OFF or not sandbox.available():
        return False
    return limits.sandbox == SandboxMode.ALL or (layout.jpeg is not None and not _scalable(layout))


Refusal = tuple[str, str] | None  # (code, message): what a decode in a child can send back
Decoded = tuple[Refusal, Image.Image | None]  # and the first frame's preview, made from its pixels


def decode_fully(
    fileobj: IO[bytes], fmt: str, frames: int, *, scaled: bool, jpeg: structure.JpegProcess | None = None
) -> Decoded:
    """Decode every frame (a JPEG at 1/8 scale where that is safe; one whose decoder cannot
    suspend, fed whole). A refusal, or None; and a ≤ 64 px copy of the first frame while its
    pixels are in memory (``analysis.preview_of``)."""
    preview = None
    try:
        fileobj.seek(0)
        with Image.open(fileobj, formats=[fmt]) as image:
            if whole := structure.whole_read_size(fileobj, jpeg):
                image.decodermaxblock = whole
            if scaled and isinstance(image, JpegImagePlugin.JpegImageFile):
                size = (_at_least_one(image.width), _at_least_one(image.height))
                image.draft(image.mode, size)
            for index in range(frames):
                image.seek(index)
                image.load()
                if index == 0:
                    preview = _preview(image)
    except MemoryError:
        raise
    except Exception:
        return (("corrupt_image", "The image is truncated or damaged and cannot be decoded."), None)
    return (None, preview)


def _preview(image: Image.Image) -> Image.Image | None:
    try:
        return analysis.preview_of(image)
    except Exception:  # a mode it cannot handle must not refuse a valid image: no analysis then
        return None


def _at_least_one(edge: int) -> int:
    return max(1, edge // VALIDATION_DRAFT_DIVISOR)  # draft((0, …)) divides by zero: 1×1 JPEGs


def _decode_in_sandbox(
    fileobj: IO[bytes], fmt: str, frames: int, layout: structure.Structure, limits: Limits
) -> Decoded:
    budget = sandbox.SandboxLimits(
        memory_bytes=limits.max_image_pixels * SANDBOX_BYTES_PER_PIXEL + SANDBOX_BASE_BYTES,
        cpu_seconds=SANDBOX_CPU_SECONDS,
        wall_seconds=SANDBOX_WALL_SECONDS,
    )
    scaled, jpeg = _scalable(layout), layout.jpeg
    try:
        return sandbox.run(lambda: decode_fully(fileobj, fmt, frames, scaled=scaled, jpeg=jpeg), budget)
    except sandbox.SandboxFailed as exc:
        raise RejectedUpload(
            f"The image cannot be decoded safely (the decoder {exc.reason}).", code="corrupt_image"
        ) from exc


def _raise_refusal(refusal: Refusal) -> None:
    if refusal is not None:
        raise RejectedUpload(refusal[1], code=refusal[0])


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB"
