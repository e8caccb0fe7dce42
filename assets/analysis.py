"""PURE: what an image looks like, from a tiny copy of it: placeholder, colour, perceptual hash,
automatic focal point.

Ingest never decodes an original twice for this. The validation decode (``assets.validators``)
already holds the first frame's pixels (a JPEG at 1/8 scale); it hands :func:`preview_of` that
frame, which keeps a copy of at most ``PREVIEW_EDGE`` pixels (an integer-factor ``reduce``, or a
nearest-pixel pick for modes ``reduce`` does not take). Everything below works on that copy, turned
upright by its EXIF orientation (so the placeholder and the focal point match what is displayed)
and flattened onto white where it has alpha:

* ``placeholder``: a BlurHash (https://blurha.sh) of 4×3 components (3×4 for a portrait image),
  encoded by the ``blurhash`` package from a copy of at most ``BLURHASH_EDGE`` pixels;
* ``dominant_color``: ``#rrggbb``, the largest cluster of a median-cut quantisation;
* ``perceptual_hash``: a 64-bit difference hash (dHash: 9×8 grey pixels, each row's 8 left-right
  comparisons), the same algorithm as ``imagehash.dhash`` in a few lines, without its
  numpy/scipy dependency;
* ``auto_focal_point``: where the attention is, the way libvips' ``smartcrop=attention`` finds
  it: edges of the luminance + skin-toned pixels + saturated pixels, blurred, and the centroid
  of the strongest region. ``None`` for a featureless image (fill then crops the centre).

A CMYK original is converted naively (no ICC), a 16-bit one scaled to 8 bits; an animation is
described by its first frame.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import blurhash
from PIL import Image, ImageChops, ImageFilter, ImageOps, JpegImagePlugin

from assets import structure
from assets.metadata import orientation_of, sniff_format

logger = logging.getLogger(__name__)

PREVIEW_EDGE = 64  # the copy the validation decode keeps
# A larger frame is first sampled down to this by picking pixels (nearly free), then averaged: a
# box average of every pixel of a 4 MP PNG alone costs ~10 ms, twice the budget of the analysis.
PICK_EDGE = 8 * PREVIEW_EDGE
BLURHASH_EDGE = 12  # BlurHash's 4×3 cosines need few samples; its pure-Python encoder is O(pixels)
COLOR_EDGE = 32  # median cut's cost grows with the pixels; the largest cluster does not need more
HASH_BITS = 64
BANDS = 4  # the hash split into 16-bit bands for the lookup (multi-index hashing, assets/similar.py)
BAND_BITS = HASH_BITS // BANDS
# A score below this (of 255) everywhere: nothing stands out, no automatic focal point.
MIN_ATTENTION = 12
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}  # fmt: skip


@dataclass(frozen=True)
class Analysis:
    placeholder: str  # BlurHash
    dominant_color: str  # "#rrggbb"
    perceptual_hash: int  # unsigned, 0 ≤ h < 2**64
    auto_focal_point: tuple[float, float] | None  # (x, y), 0..1 from the top-left, as displayed

    def bands(self) -> tuple[int, ...]:
        return hash_bands(self.perceptual_hash)


# --- the preview: a tiny copy of a decoded frame ---------------------------------------------------


def preview_of(frame: Image.Image) -> Image.Image:
    """A copy of a loaded frame of at most ``PREVIEW_EDGE`` px on its longer side, in RGB or
    RGBA (8 bits), as stored (not yet turned upright)."""
    width, height = frame.size
    small = frame
    if max(width, height) > PICK_EDGE:  # any mode (P, I;16…): the conversion below is then tiny
        pick = max(width, height) / PICK_EDGE
        small = frame.resize(
            (max(1, round(width / pick)), max(1, round(height / pick))), Image.Resampling.NEAREST
        )
    small = _eight_bit_rgb(small)
    if (factor := max(small.size) // PREVIEW_EDGE) > 1:
        small = small.reduce(factor)
    if max(small.size) > PREVIEW_EDGE:
        small.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE), Image.Resampling.BOX)
    return small if small is not frame else small.copy()


def _eight_bit_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # Pillow's conversion clips 16-bit values at 255: scale 0..65535 to 0..255 instead.
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L").convert("RGB")
    if "transparency" in image.info or mode in ("LA", "La", "PA", "RGBa"):
        return image.convert("RGBA")
    return image.convert("RGB")


def read_preview(fileobj: IO[bytes]) -> tuple[Image.Image, int]:
    """A stored original's preview and its EXIF orientation: for analysing files already in the
    library. A JPEG is decoded at 1/8 scale; the first frame only."""
    fileobj.seek(0)
    fmt = sniff_format(fileobj.read(64)) or ""
    try:
        layout = structure.read_structure(fileobj, fmt, frame_stop=1, header_only=True)
    except structure.StructureError:
        layout = structure.Structure(fmt, (0, 0), 0)
    with Image.open(structure.omitting(fileobj, layout)) as image:
        orientation = orientation_of(image)
        if (
            isinstance(image, JpegImagePlugin.JpegImageFile)
            and layout.jpeg
            and layout.jpeg.scaled_decode_safe
        ):
            image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
        if whole := structure.whole_read_size(fileobj, layout.jpeg):
            image.decodermaxblock = whole  # an arithmetic JPEG: libjpeg cannot take it in pieces
        image.load()
        return preview_of(image), orientation


# --- the analysis ---------------------------------------------------------------------------------


def analyse(preview: Image.Image, *, orientation: int = 1) -> Analysis:
    """Describe an image from its preview (any size works; a large one is reduced first)."""
    if max(preview.size) > PREVIEW_EDGE:
        preview = preview_of(preview)
    upright = _flattened(_eight_bit_rgb(preview))
    if step := _TRANSPOSE.get(orientation):
        upright = upright.transpose(step)
    return Analysis(
        placeholder=placeholder(upright),
        dominant_color=dominant_color(upright),
        perceptual_hash=dhash(upright),
        auto_focal_point=attention_point(upright),
    )


def analyse_original(original: Any, image: Image.Image | None, *, orientation: int | None = None) -> None:
    """Set an ``Original``'s (an asset's, a kept version's) analysis fields from its decoded image
    or preview. ``orientation``: the file's EXIF orientation (default: read from ``image``, which
    a preview no longer carries). ``image`` None (no pixels to look at), or a failure of the
    analysis (logged, never raised), clears them. Saves nothing."""
    result = None
    if image is not None:
        try:
            result = analyse(image, orientation=orientation_of(image) if orientation is None else orientation)
        except Exception:  # a picture it cannot describe is still a valid upload: no analysis then
            logger.exception("image analysis failed; the fields stay empty")
    apply(original, result)


def analyse_file(original: Any, fileobj: IO[bytes]) -> None:
    """``analyse_original`` for a file already in storage (a backfill): read its preview, then analyse."""
    preview, orientation = read_preview(fileobj)
    analyse_original(original, preview, orientation=orientation)


def apply(original: Any, result: Analysis | None) -> None:
    original.placeholder = result.placeholder if result else ""
    original.dominant_color = result.dominant_color if result else ""
    original.perceptual_hash = signed64(result.perceptual_hash) if result else None
    bands: Iterable[int | None] = result.bands() if result else (None,) * BANDS
    for index, value in enumerate(bands):
        setattr(original, f"phash_{index}", value)
    point = result.auto_focal_point if result else None
    original.auto_focal_x, original.auto_focal_y = point if point else (None, None)


def _flattened(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image
    white = Image.new("RGB", image.size, (255, 255, 255))
    white.paste(image, mask=image.getchannel("A"))
    return white


def placeholder(image: Image.Image) -> str:
    small = image.copy()
    small.thumbnail((BLURHASH_EDGE, BLURHASH_EDGE), Image.Resampling.BOX)
    width, height = small.size
    data = small.tobytes()
    rows = [
        [data[(y * width + x) * 3 : (y * width + x) * 3 + 3] for x in range(width)] for y in range(height)
    ]
    across, down = (4, 3) if width >= height else (3, 4)
    return str(blurhash.encode(rows, components_x=across, components_y=down))


def dominant_color(image: Image.Image) -> str:
    small = image.copy()
    small.thumbnail((COLOR_EDGE, COLOR_EDGE), Image.Resampling.BOX)
    quantised = small.quantize(colors=6, method=Image.Quantize.MEDIANCUT)
    counts = quantised.getcolors() or [(1, 0)]
    index = int(max(counts)[1])  # type: ignore[call-overload]
    palette = quantised.getpalette() or [0, 0, 0]
    red, green, blue = palette[index * 3 : index * 3 + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"


def dhash(image: Image.Image) -> int:
    """64 bits, row by row: bit set where a pixel is brighter than its left neighbour."""
    grey = image.convert("L").resize((9, 8), Image.Resampling.BOX).tobytes()
    value = 0
    for row in range(8):
        for column in range(8):
            left, right = grey[row * 9 + column], grey[row * 9 + column + 1]
            value = (value << 1) | (right > left)
    return value


def hash_bands(value: int) -> tuple[int, ...]:
    mask = (1 << BAND_BITS) - 1
    return tuple((value >> (BAND_BITS * (BANDS - 1 - i))) & mask for i in range(BANDS))


def signed64(value: int) -> int:
    """A 64-bit unsigned hash as the signed BIGINT a database stores."""
    return value - (1 << 64) if value >= 1 << 63 else value


def unsigned64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def hamming(a: int, b: int) -> int:
    return (unsigned64(a) ^ unsigned64(b)).bit_count()


def attention_point(image: Image.Image) -> tuple[float, float] | None:
    """The centre of the most interesting region (libvips' ``attention``: edges + skin +
    saturation, blurred), as fractions of the width and height; None when nothing stands out."""
    width, height = image.size
    if width < 3 or height < 3:
        return None
    grey = image.convert("L")
    # FIND_EDGES leaves the border pixels as they were: blank a one-pixel frame.
    edges = ImageOps.expand(ImageOps.crop(grey.filter(ImageFilter.FIND_EDGES), 1), 1, fill=0)
    _, saturation, value = image.convert("HSV").split()
    saturated = ImageChops.multiply(saturation, value.point(lambda v: 255 if v > 40 else 0))
    luma, cb, cr = image.convert("YCbCr").split()
    skin = ImageChops.multiply(
        ImageChops.multiply(cb.point(lambda v: 255 if 77 <= v <= 127 else 0),
                            cr.point(lambda v: 255 if 133 <= v <= 173 else 0)),
        luma.point(lambda v: 255 if v > 40 else 0),
    )  # fmt: skip
    score = ImageChops.add(ImageChops.add(edges, saturated, scale=2), skin, scale=2)
    score = score.filter(ImageFilter.GaussianBlur(max(1.0, max(width, height) / 16)))
    peak = score.getextrema()[1]
    if not isinstance(peak, int) or peak < MIN_ATTENTION:
        return None
    # The centroid of the strongest region (≥ 80 % of the peak), from its column and row means.
    floor = peak * 0.8
    region = score.point(lambda v: v if v >= floor else 0)
    columns = region.resize((width, 1), Image.Resampling.BOX).tobytes()
    rows = region.resize((1, height), Image.Resampling.BOX).tobytes()
    return (_centroid(columns), _centroid(rows))


def _centroid(means: bytes) -> float:
    total = sum(means)
    if not total:
        return 0.5
    return _unit(sum(level * (index + 0.5) for index, level in enumerate(means)) / total / len(means))


def _unit(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


def probe_values(band: int, radius: int) -> list[int]:
    """Every 16-bit value within ``radius`` bits of ``band`` (the band itself first)."""
    values = [band]
    for flips in range(1, radius + 1):
        values.extend(band ^ sum(1 << bit for bit in bits) for bits in _combinations(BAND_BITS, flips))
    return values


def _combinations(n: int, k: int) -> Iterable[tuple[int, ...]]:
    return itertools.combinations(range(n), k)


def guaranteed_radius(probe: int) -> int:
    """Probing every band within ``probe`` bits finds every hash within this distance
    (pigeonhole: a hash differing in at most BANDS·(probe+1)−1 bits has a band within ``probe``)."""
    return BANDS * (probe + 1) - 1


def probe_for(max_distance: int) -> int:
    return max(0, math.ceil((max_distance + 1) / BANDS) - 1)
