"""PURE: turn an original into a rendition with Pillow. No models, no storages, no settings.

Shape of a render (Wagtail's and libvips' lesson: all geometry is one crop and one resample):

1. ``geometry``: from the upright size, the spec and the focal point, compute the source box and
   the output size, without touching pixels (the URL builder uses it for width/height too).
2. Map that box back into the *stored* orientation and ask libjpeg for a reduced decode
   (``draft``): a 24 MP photo thumbnailed to 400 px never becomes 24 million pixels.
3. One ``resize(box=…, reducing_gap=…)``; then the EXIF orientation and any rotate/flip as
   lossless transposes of the small result.
4. Colour to sRGB (ICC, CMYK), filters, padding, alpha onto ``bg`` where the format has no alpha.
5. Encode from a table; metadata stripped (copyright kept, GPS never): the output carries only
   the EXIF written here, never a comment, text chunk, XMP or profile inherited from the source.

Bounded work (README, limits): decoding at full size happens only where DCT scaling is unsafe
(lossless and arithmetic JPEG, see ``assets.structure``; an arithmetic one is read whole, as its
decoder cannot suspend); an animation is decoded one frame at a
time and each frame is reduced to the output size before the next is read, so what is held is
one source canvas plus the (capped) output frames.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from PIL import ExifTags, Image, ImageCms, ImageFilter, JpegImagePlugin

from assets import structure
from assets.metadata import orientation_of
from renditions import operations as ops
from renditions.exceptions import RenderFailed
from renditions.specs import Spec

Box = tuple[float, float, float, float]
T = Image.Transpose

# libjpeg's DCT scaling (draft) decodes at the smallest of 1/2, 1/4, 1/8 that is still at least
# the needed size × DRAFT_GAP; Lanczos does the rest. 1.0 is what thumbor and imgproxy do. A 2×
# margin (Image.thumbnail's reducing_gap) decodes up to 4× the pixels for no visible gain: on 4,
# 20 and 50 MP photos → 400 px JPEG/WebP/AVIF, SSIM against a full-size decode + Lanczos moved by
# at most 0.0003 while 4 and 20 MP renders took 20-40 % less time (`make bench` prints both).
DRAFT_GAP = 1.0
# resize() first reduces by whole factors with a box filter while the image is ≥ 2× the target,
# as Image.thumbnail does: per Pillow's docs, indistinguishable from a full resample in most cases.
REDUCING_GAP = 2.0
RESAMPLE = Image.Resampling.LANCZOS
ANIMATABLE = frozenset({"GIF", "WEBP"})
ALPHA_FORMATS = frozenset({"PNG", "WEBP", "AVIF", "GIF"})
SOURCE_FORMATS_KEPT = frozenset({"JPEG", "PNG", "GIF", "WEBP", "AVIF"})  # HEIF → JPEG: browsers
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
                 "AVIF": "image/avif", "GIF": "image/gif"}  # fmt: skip
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "AVIF": "avif", "GIF": "gif"}
DEFAULT_QUALITY = {"JPEG": 85, "WEBP": 80, "AVIF": 60}

# Encoder options per format: the one place that knows them (a table, not an if/elif chain).
ENCODERS: dict[str, Callable[[int], dict[str, Any]]] = {
    "JPEG": lambda q: {"quality": q, "progressive": True},
    "WEBP": lambda q: {"quality": q, "method": 4},
    "AVIF": lambda q: {"quality": q, "speed": 6},
    "PNG": lambda q: {"compress_level": 6},
    "GIF": lambda q: {},
}

# EXIF orientation → the transpose that shows the image upright.
EXIF_TRANSPOSE: dict[int, T | None] = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180,
                                       4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE, 6: T.ROTATE_270,
                                       7: T.TRANSVERSE, 8: T.ROTATE_90}  # fmt: skip
ROTATE_CLOCKWISE = {90: T.ROTATE_270, 180: T.ROTATE_180, 270: T.ROTATE_90}
SWAPS_AXES = frozenset({T.ROTATE_90, T.ROTATE_270, T.TRANSPOSE, T.TRANSVERSE})
# Where each transpose sends a point (x, y) of a w × h image.
_FORWARD: dict[T, Callable[[float, float, float, float], tuple[float, float]]] = {
    T.FLIP_LEFT_RIGHT: lambda x, y, w, h: (w - x, y),
    T.FLIP_TOP_BOTTOM: lambda x, y, w, h: (x, h - y),
    T.ROTATE_90: lambda x, y, w, h: (y, w - x),
    T.ROTATE_180: lambda x, y, w, h: (w - x, h - y),
    T.ROTATE_270: lambda x, y, w, h: (h - y, x),
    T.TRANSPOSE: lambda x, y, w, h: (y, x),
    T.TRANSVERSE: lambda x, y, w, h: (h - y, w - x),
}
_INVERSE = {T.ROTATE_90: T.ROTATE_270, T.ROTATE_270: T.ROTATE_90}
_SRGB = ImageCms.createProfile("sRGB")
_GPS_IFD = 0x8825
_KEEP_ALWAYS = (ExifTags.Base.Copyright, ExifTags.Base.Artist)
# Never copied by `keep`: location, the orientation already applied, pointers Pillow rewrites,
# and maker notes (opaque, offset-dependent blobs that are only valid in their original file).
_NEVER_KEPT = frozenset({_GPS_IFD, ExifTags.Base.Orientation, ExifTags.Base.MakerNote,
                         ExifTags.IFD.Interop, ExifTags.Base.JpegIFOffset, ExifTags.Base.JpegIFByteCount})  # fmt: skip
# A JPEG APP1 segment holds 65,533 bytes, "Exif\0\0" included; the same cap for every format
# keeps renditions of one spec alike.
MAX_EXIF_BYTES = 65_000
# Modes that carry transparency in ``info`` (a tRNS colour key, a palette entry) rather than a band.
_KEYED_MODES = frozenset({"1", "L", "P", "RGB", "I", "I;16"})


@dataclass(frozen=True)
class RenderLimits:
    max_edge: int = 4096
    max_animation_pixels: int = 50_000_000  # frames × output pixels kept animated


@dataclass(frozen=True)
class Geometry:
    """In the upright, rotated frame: take ``box`` of the source, resample it to ``size``."""

    box: Box
    size: tuple[int, int]
    canvas: tuple[int, int] | None = None  # pad: the letterbox the result is centred in

    @property
    def output_size(self) -> tuple[int, int]:
        return self.canvas or self.size


@dataclass
class Rendered:
    data: bytes
    format: str
    width: int
    height: int
    frames: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


# --- geometry (no pixels) -------------------------------------------------------------------


def user_transposes(spec: Spec) -> list[T]:
    found: list[T] = []
    if rotate := spec.get(ops.Rotate):
        found.append(ROTATE_CLOCKWISE[rotate.degrees])
    if flip := spec.get(ops.Flip):
        found += [T.FLIP_LEFT_RIGHT] * ("h" in flip.axes) + [T.FLIP_TOP_BOTTOM] * ("v" in flip.axes)
    return found


def transposed_size(size: tuple[int, int], transposes: list[T]) -> tuple[int, int]:
    width, height = size
    for method in transposes:
        if method in SWAPS_AXES:
            width, height = height, width
    return width, height


def map_point(
    point: tuple[float, float], size: tuple[float, float], transposes: list[T]
) -> tuple[float, float]:
    (x, y), (w, h) = point, size
    for method in transposes:
        x, y = _FORWARD[method](x, y, w, h)
        if method in SWAPS_AXES:
            w, h = h, w
    return x, y


def unmap_box(box: Box, source_size: tuple[int, int], transposes: list[T]) -> Box:
    """The box in the frame *before* ``transposes``, given the box after them."""
    sizes = [source_size]
    for method in transposes:
        sizes.append(transposed_size(sizes[-1], [method]))
    x0, y0, x1, y1 = box
    for method, size in zip(reversed(transposes), reversed(sizes[1:]), strict=True):
        inverse = _INVERSE.get(method, method)
        (x0, y0), (x1, y1) = (_FORWARD[inverse](x, y, *size) for x, y in ((x0, y0), (x1, y1)))
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def geometry(
    spec: Spec,
    upright_size: tuple[int, int],
    focal_point: tuple[float, float] | None,
    limits: RenderLimits = RenderLimits(),
) -> Geometry:
    """Fold crop, resize and upscale into one source box and one output size."""
    transposes = user_transposes(spec)
    width, height = transposed_size(upright_size, transposes)
    fx, fy = map_point(focal_point or (0.5, 0.5), (1.0, 1.0), transposes)
    box: Box = (0.0, 0.0, float(width), float(height))
    if crop := spec.get(ops.Crop):
        box = (min(crop.x, width), min(crop.y, height), min(crop.x + crop.width, width),
               min(crop.y + crop.height, height))  # fmt: skip
        if box[2] <= box[0] or box[3] <= box[1]:
            raise RenderFailed(f"“{crop}” lies outside the {width}×{height} image.")
    resize = spec.get(ops.Fit) or spec.get(ops.Fill) or spec.get(ops.Pad)
    if isinstance(resize, ops.Fill):
        box = _fill_box(box, resize.width / resize.height, (fx * width, fy * height))
    bw, bh = box[2] - box[0], box[3] - box[1]
    scale = _scale(spec, resize, bw, bh)
    if not spec.has(ops.Upscale):
        scale = min(scale, 1.0)
    scale = min(scale, limits.max_edge / max(bw, bh))
    size = (max(1, round(bw * scale)), max(1, round(bh * scale)))
    canvas = (resize.width, resize.height) if isinstance(resize, ops.Pad) else None
    return Geometry(box=box, size=size, canvas=canvas)


def _scale(spec: Spec, resize: ops.Resize | None, bw: float, bh: float) -> float:
    if isinstance(resize, ops.Fill):
        return resize.width / bw
    if resize is not None:  # fit, pad
        return min(resize.width / bw, resize.height / bh)
    if width := spec.get(ops.Width):
        return width.value / bw
    if height := spec.get(ops.Height):
        return height.value / bh
    return 1.0


def _fill_box(box: Box, ratio: float, focal: tuple[float, float]) -> Box:
    """The largest box of ``ratio`` inside ``box``, centred on the focal point where it can be."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    if bw / bh > ratio:
        cw = bh * ratio
        left = min(max(focal[0] - cw / 2, x0), x1 - cw)
        return (left, y0, left + cw, y1)
    ch = bw / ratio
    top = min(max(focal[1] - ch / 2, y0), y1 - ch)
    return (x0, top, x1, top + ch)


# --- formats ----------------------------------------------------------------------------------


def output_format(spec: Spec, source_format: str) -> str:
    name = spec.format_name
    if name == "auto":
        raise ValueError("format-auto must be resolved with negotiate_format() before rendering")
    if name:
        return ops.OUTPUT_FORMATS[name]
    return source_format if source_format in SOURCE_FORMATS_KEPT else "JPEG"


def negotiate_format(accept: str, *, has_alpha: bool, animated: bool) -> str:
    """``format-auto``: the best format this client accepts (AVIF, then WebP, then the classics)."""
    accept = accept.lower()
    if "image/avif" in accept and not animated:
        return "avif"
    if "image/webp" in accept:
        return "webp"
    return "gif" if animated else "png" if has_alpha else "jpeg"


# --- pixels -----------------------------------------------------------------------------------


@dataclass
class Processed:
    """What ``process`` hands to the encoder: the image, its format and ``Image.save`` options."""

    image: Image.Image
    format: str
    options: dict[str, Any]
    frames: int = 1


def process(
    image: Image.Image,
    spec: Spec,
    *,
    focal_point: tuple[float, float] | None = None,
    limits: RenderLimits = RenderLimits(),
) -> Processed:
    """Everything but encoding. ``image`` must be freshly opened (not loaded) for ``draft``."""
    fmt = output_format(spec, str(image.format))
    orientation = orientation_of(image)
    exif_step = EXIF_TRANSPOSE[orientation]
    exif_steps = [exif_step] if exif_step is not None else []  # (FLIP_LEFT_RIGHT == 0: no truthiness)
    transposes = exif_steps + user_transposes(spec)
    upright = transposed_size(image.size, exif_steps)
    geo = geometry(spec, upright, focal_point, limits)
    options = {**ENCODERS[fmt](_quality(spec, fmt)), **_metadata(image, spec, fmt)}
    frame_count = int(getattr(image, "n_frames", 1))
    out_w, out_h = geo.output_size
    if frame_count > 1 and fmt in ANIMATABLE and frame_count * out_w * out_h <= limits.max_animation_pixels:
        loop = image.info.get("loop", 0)
        frames, durations = _animated(image, spec, geo, transposes, frame_count)
        options.update(save_all=True, append_images=frames[1:], duration=durations, loop=loop, disposal=2)
        return Processed(frames[0], fmt, options, frames=len(frames))
    icc = image.info.get("icc_profile")
    stored_size = image.size
    _draft(image, geo)
    result = _for_format(_frame(image, spec, geo, transposes, icc, stored_size), fmt, spec)
    return Processed(_bare(result), fmt, options)


def release_source(source: Image.Image, processed: Processed) -> None:
    """Free the decoded source now rather than whenever the garbage collector finds the cycle
    imagekit's spec objects keep it in (a 100 MP RGBA PNG stayed 381 MiB after its render)."""
    outputs = [processed.image, *processed.options.get("append_images", [])]
    if all(output is not source for output in outputs):
        source.close()


def encode(processed: Processed) -> bytes:
    buffer = io.BytesIO()
    processed.image.save(buffer, processed.format, **processed.options)
    return buffer.getvalue()


def render(
    source: IO[bytes],
    spec: Spec,
    *,
    focal_point: tuple[float, float] | None = None,
    limits: RenderLimits = RenderLimits(),
    formats: list[str] | None = None,
) -> Rendered:
    """Open, process, encode: the whole pipeline for callers that hold a file (tests, bench)."""
    started = time.perf_counter()
    source = structure.decoder_view(source, formats[0]) if formats and len(formats) == 1 else source
    with Image.open(source, formats=formats) as image:
        processed = process(image, spec, focal_point=focal_point, limits=limits)
        decoded = time.perf_counter()
        data = encode(processed)
    timings = {"decode_resize": decoded - started, "encode": time.perf_counter() - decoded}
    width, height = processed.image.size
    return Rendered(data, processed.format, width, height, processed.frames, timings)


def decoder_view(source: IO[bytes], source_format: str) -> IO[bytes]:
    """What the decoder reads of an original: without the metadata ingest found unusable."""
    return structure.decoder_view(source, source_format)


def _draft(image: Image.Image, geo: Geometry) -> None:
    """A reduced decode where libjpeg scales safely; a JPEG whose decoder cannot suspend
    (arithmetic) is fed whole instead of in Pillow's 64 KiB reads (``structure.whole_read_size``)."""
    if not isinstance(image, JpegImagePlugin.JpegImageFile) or image.fp is None:
        return
    process = _jpeg_process(image)
    if whole := structure.whole_read_size(image.fp, process):
        image.decodermaxblock = whole
    if process is None or not process.scaled_decode_safe:
        return
    box_w = geo.box[2] - geo.box[0]
    scale = geo.size[0] / box_w * DRAFT_GAP
    if scale < 1:
        wanted = (math.ceil(image.width * scale), math.ceil(image.height * scale))
        image.draft(image.mode, wanted)


def _jpeg_process(image: JpegImagePlugin.JpegImageFile) -> structure.JpegProcess | None:
    """How this JPEG is coded (its frame header, read again: cheap); None if unreadable."""
    fp = image.fp
    if fp is None:
        return None
    position = fp.tell()
    try:
        return structure.read_structure(fp, "JPEG", frame_stop=1, header_only=True).jpeg
    except structure.StructureError:
        return None
    finally:
        fp.seek(position)


def _bare(image: Image.Image) -> Image.Image:
    """The output without what Pillow copied from the source's ``info`` (comments, XMP, text,
    EXIF, ICC): some encoders write those by default (GIF and JPEG comments, AVIF's XMP)."""
    image.info = {}
    return image


def _frame(image: Image.Image, spec: Spec, geo: Geometry, transposes: list[T], icc: bytes | None,
           full: tuple[int, int]) -> Image.Image:  # fmt: skip
    """One frame through geometry, colour and filters. ``image`` may be drafted (smaller than
    ``full``, the stored size the geometry was computed for)."""
    box = unmap_box(geo.box, full, transposes)
    # draft's DCT scaling rounds each axis up on its own: scale x and y separately, then clamp.
    fx, fy = image.width / full[0], image.height / full[1]
    box = (box[0] * fx, box[1] * fy, min(box[2] * fx, image.width), min(box[3] * fy, image.height))
    size = transposed_size(geo.size, transposes)  # the target size in the stored frame
    frame = _normalise_mode(image)
    if size != frame.size or box != (0, 0, *frame.size):
        frame = _resize(frame, size, box)
    for method in transposes:
        frame = frame.transpose(method)
    frame = _to_srgb(frame, icc)
    frame = _filters(frame, spec)
    if geo.canvas:
        frame = _pad(frame, geo.canvas, spec.background)
    return frame


# A frame with alpha larger than this is resized a strip at a time (``_resize_in_strips``).
STRIPPED_PIXELS = 16_000_000
STRIP_ROWS = 256  # source rows premultiplied at once
PREMULTIPLIED = {"RGBA": "RGBa", "LA": "La"}
LANCZOS_SUPPORT = 3.0


def _resize(frame: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float]) -> Image.Image:
    """``frame.resize(size, LANCZOS, box=box, reducing_gap=REDUCING_GAP)``; for a large frame with
    alpha the same pixels without Pillow's full-size premultiplied copy (``_resize_in_strips``)."""
    if frame.mode in PREMULTIPLIED and frame.width * frame.height > STRIPPED_PIXELS:
        return _resize_in_strips(frame, size, box)
    return frame.resize(size, RESAMPLE, box=box, reducing_gap=REDUCING_GAP)


def _resize_in_strips(frame: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float]
                      ) -> Image.Image:  # fmt: skip
    """Pillow resizes an RGBA frame by converting all of it to premultiplied RGBa first (a second
    full-size copy: +400 MB for a 100 MP PNG, the render's peak nearly doubled), then Lanczos
    (it passes no ``reducing_gap`` on for alpha), horizontal pass then vertical. The same here,
    a strip of rows at a time: each strip premultiplied and resized across into a frame only as
    wide as the output, then that resized down. Lanczos is separable and Pillow's own passes keep
    8 bits between them, so the pixels are Pillow's (tests/renditions/test_pipeline.py)."""
    width, height = size
    # The rows the vertical pass reads (Pillow's "safe box" for LANCZOS, Image._get_safe_box).
    support = (LANCZOS_SUPPORT - 0.5) * (box[3] - box[1]) / height
    top, bottom = max(0, int(box[1] - support)), min(frame.height, math.ceil(box[3] + support))
    premultiplied = PREMULTIPLIED[frame.mode]
    across = Image.new(premultiplied, (width, bottom - top))
    for y in range(top, bottom, STRIP_ROWS):
        rows = min(STRIP_ROWS, bottom - y)
        strip = frame.crop((0, y, frame.width, y + rows)).convert(premultiplied)
        across.paste(strip.resize((width, rows), RESAMPLE, box=(box[0], 0, box[2], rows)), (0, y - top))
    return across.resize(size, RESAMPLE, box=(0, box[1] - top, width, box[3] - top)).convert(frame.mode)


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Modes resize() handles well: L, LA, RGB, RGBA, CMYK. 16-bit scales down, not clips."""
    mode = image.mode
    if ("transparency" in image.info and mode in _KEYED_MODES) or mode in ("PA", "RGBa", "La"):
        return image.convert("RGBA")  # a palette entry or tRNS colour key becomes real alpha
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Pillow's I;16 → L conversion clips at 255; scale 0..65535 to 0..255 instead.
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=out_mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to Pillow's plain conversion below
    if image.mode == "CMYK":
        return image.convert("RGB")
    return image


def _filters(image: Image.Image, spec: Spec) -> Image.Image:
    if spec.has(ops.Grayscale):
        image = image.convert("LA" if image.mode in ("RGBA", "LA") else "L")
    if blur := spec.get(ops.Blur):
        image = image.filter(ImageFilter.GaussianBlur(blur.value))
    if sharpen := spec.get(ops.Sharpen):
        image = image.filter(ImageFilter.UnsharpMask(radius=1, percent=sharpen.value * 30, threshold=2))
    return image


def _pad(image: Image.Image, canvas: tuple[int, int], colour: tuple[int, int, int]) -> Image.Image:
    mode = "RGBA" if image.mode in ("RGBA", "LA") else "RGB"
    board = Image.new(mode, canvas, (*colour, 255) if mode == "RGBA" else colour)
    offset = ((canvas[0] - image.width) // 2, (canvas[1] - image.height) // 2)
    source = image.convert(mode)
    board.paste(source, offset, source if mode == "RGBA" else None)
    return board


def _for_format(image: Image.Image, fmt: str, spec: Spec) -> Image.Image:
    """Alpha onto the background where the format has none; modes each encoder accepts."""
    has_alpha = image.mode in ("RGBA", "LA")
    if has_alpha and fmt not in ALPHA_FORMATS:
        rgba = image.convert("RGBA")
        board = Image.new("RGB", image.size, spec.background)
        board.paste(rgba, (0, 0), rgba)
        return board.convert("L") if image.mode == "LA" else board
    if fmt in ("WEBP", "AVIF") and image.mode == "LA":
        return image.convert("RGBA")
    return image


def _animated(image: Image.Image, spec: Spec, geo: Geometry, transposes: list[T], count: int
              ) -> tuple[list[Image.Image], list[int]]:  # fmt: skip
    """One frame at a time: each is reduced to the output size (and the source canvas it came
    from released) before the next is decoded."""
    frames, durations = [], []
    for index in range(count):
        image.seek(index)
        durations.append(int(image.info.get("duration", 100)))
        frame = _frame(image, spec, geo, transposes, None, image.size)
        # convert() copies; at the source's own size and mode the frame may *be* the source,
        # which the next seek() overwrites.
        frames.append(_bare(frame.convert("RGBA") if frame.mode != "RGBA" or frame is image else frame))
        del frame
    return frames, durations


def _quality(spec: Spec, fmt: str) -> int:
    quality = spec.get(ops.Quality)
    return quality.value if quality else DEFAULT_QUALITY.get(fmt, 0)


def _metadata(image: Image.Image, spec: Spec, fmt: str) -> dict[str, Any]:
    """EXIF for the output: copyright and artist only, or (``keep``) all but GPS. Never GPS.

    What cannot be written (a tag of the wrong type, a block over MAX_EXIF_BYTES) is dropped,
    tag by tag: metadata never fails a render.
    """
    if fmt == "GIF":
        return {}
    try:
        source = image.getexif()
        tags = dict(source) if spec.has(ops.Keep) else {t: source[t] for t in _KEEP_ALWAYS if t in source}
        if spec.has(ops.Keep) and ExifTags.IFD.Exif in source:
            tags[ExifTags.IFD.Exif] = dict(source.get_ifd(ExifTags.IFD.Exif))
    except Exception:  # a damaged EXIF block: nothing to keep
        return {}
    data = _writable_exif({t: v for t, v in tags.items() if t not in _NEVER_KEPT})
    return {"exif": data} if data else {}


def _writable_exif(tags: dict[int, Any]) -> bytes:
    out = Image.Exif()
    budget = MAX_EXIF_BYTES - len(out.tobytes())
    for tag, value in tags.items():
        if isinstance(value, dict):
            value = {t: v for t, v in value.items() if t not in _NEVER_KEPT and _exif_size(t, v) is not None}
            if not value:
                continue
        size = _exif_size(tag, value)
        if size is None or size > budget:
            continue
        out[tag] = value
        budget -= size
    try:
        data = out.tobytes() if len(out) else b""
    except Exception:  # the parts wrote alone but not together: keep nothing rather than fail
        return b""
    return data if len(data) <= MAX_EXIF_BYTES else b""


def _exif_size(tag: int, value: Any) -> int | None:
    """Bytes one tag adds to an EXIF block, or None when Pillow cannot write it."""
    probe = Image.Exif()
    try:
        probe[tag] = value
        return len(probe.tobytes()) - len(Image.Exif().tobytes())
    except Exception:
        return None
