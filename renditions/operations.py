"""PURE: one frozen dataclass per spec word, and the registry that finds them.

Each operation validates its arguments when it is built (``parse``), so a bad spec fails at parse
time, never halfway through a resize. Each prints back to exactly one token (``str(op)``), and
each has a ``slot``: a spec holds at most one operation per slot, printed in ``SLOT_ORDER``.
Geometry is only *described* here; ``pipeline.plan`` folds it into one crop and one resize.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from renditions.exceptions import InvalidSpec

# The order operations print in (the canonical form) and, for geometry, the order they apply.
SLOT_ORDER = ("crop", "resize", "upscale", "rotate", "flip", "grayscale", "blur", "sharpen",
              "bg", "format", "quality", "metadata")  # fmt: skip

MAX_CROP_COORDINATE = 100_000  # a source rectangle beyond any original we accept
MAX_BLUR_RADIUS = 100
MAX_SHARPEN = 10
_SIZE = re.compile(r"([1-9]\d{0,5})x([1-9]\d{0,5})")
_INT = re.compile(r"0|[1-9]\d{0,5}")
_HEX = re.compile(r"[0-9a-f]{6}")


def _int(text: str, word: str, low: int, high: int) -> int:
    if not _INT.fullmatch(text):
        raise InvalidSpec(f"“{word}-{text}”: expected a whole number from {low} to {high}.")
    value = int(text)
    if not low <= value <= high:
        raise InvalidSpec(f"“{word}-{text}”: must be from {low} to {high}.")
    return value


def _size(text: str, word: str, max_edge: int) -> tuple[int, int]:
    match = _SIZE.fullmatch(text)
    if not match:
        raise InvalidSpec(f"“{word}-{text}”: expected WIDTHxHEIGHT, e.g. {word}-800x600.")
    width, height = int(match[1]), int(match[2])
    if width > max_edge or height > max_edge:
        raise InvalidSpec(f"“{word}-{text}”: the largest output edge is {max_edge} px.")
    return width, height


@dataclass(frozen=True)
class Operation:
    word: ClassVar[str]
    slot: ClassVar[str]
    takes_argument: ClassVar[bool] = True

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Resize(Operation):
    """fit / fill / pad: a box. ``fit`` inside it, ``fill`` covers it (cropping), ``pad`` letterboxes."""

    slot: ClassVar[str] = "resize"
    width: int
    height: int

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        return cls(*_size(argument, cls.word, max_edge))

    def __str__(self) -> str:
        return f"{self.word}-{self.width}x{self.height}"


class Fit(Resize):
    word = "fit"


class Fill(Resize):
    word = "fill"


class Pad(Resize):
    word = "pad"


@dataclass(frozen=True)
class Scalar(Operation):
    """A word with one whole-number argument from ``low`` to ``high`` (``None``: the edge cap)."""

    low: ClassVar[int] = 1
    high: ClassVar[int | None] = None
    value: int

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        return cls(_int(argument, cls.word, cls.low, cls.high or max_edge))

    def __str__(self) -> str:
        return f"{self.word}-{self.value}"


class Width(Scalar):
    word, slot = "width", "resize"


class Height(Scalar):
    word, slot = "height", "resize"


@dataclass(frozen=True)
class Crop(Operation):
    """``crop-X,Y,WxH``: a source rectangle in pixels of the upright original."""

    word: ClassVar[str] = "crop"
    slot: ClassVar[str] = "crop"
    x: int
    y: int
    width: int
    height: int

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        match = re.fullmatch(r"(\d{1,6}),(\d{1,6}),(\d{1,6})x(\d{1,6})", argument)
        if not match:
            raise InvalidSpec(f"“crop-{argument}”: expected crop-X,Y,WIDTHxHEIGHT, e.g. crop-0,0,400x300.")
        x, y, width, height = (int(g) for g in match.groups())
        if width == 0 or height == 0 or max(x + width, y + height) > MAX_CROP_COORDINATE:
            raise InvalidSpec(f"“crop-{argument}”: the rectangle must be non-empty and within the image.")
        return cls(x, y, width, height)

    def __str__(self) -> str:
        return f"crop-{self.x},{self.y},{self.width}x{self.height}"


@dataclass(frozen=True)
class Rotate(Operation):
    """Clockwise, like CSS ``rotate()``; applied after the EXIF orientation."""

    word: ClassVar[str] = "rotate"
    slot: ClassVar[str] = "rotate"
    degrees: int

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        if argument not in ("90", "180", "270"):
            raise InvalidSpec(f"“rotate-{argument}”: rotate by 90, 180 or 270.")
        return cls(int(argument))

    def __str__(self) -> str:
        return f"rotate-{self.degrees}"


@dataclass(frozen=True)
class Flip(Operation):
    word: ClassVar[str] = "flip"
    slot: ClassVar[str] = "flip"
    axes: str  # "h", "v" or "hv"

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        if argument not in ("h", "v", "hv"):
            raise InvalidSpec(f"“flip-{argument}”: flip-h (mirror), flip-v (upside down) or flip-hv.")
        return cls(argument)

    def __str__(self) -> str:
        return f"flip-{self.axes}"


class Blur(Scalar):
    word = slot = "blur"
    high = MAX_BLUR_RADIUS


class Sharpen(Scalar):
    word = slot = "sharpen"
    high = MAX_SHARPEN


@dataclass(frozen=True)
class Background(Operation):
    word: ClassVar[str] = "bg"
    slot: ClassVar[str] = "bg"
    rgb: str  # six lower-case hex digits

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        if not _HEX.fullmatch(argument.lower()):
            raise InvalidSpec(f"“bg-{argument}”: expected a colour as RRGGBB, e.g. bg-ffffff.")
        return cls(argument.lower())

    @property
    def colour(self) -> tuple[int, int, int]:
        return (int(self.rgb[0:2], 16), int(self.rgb[2:4], 16), int(self.rgb[4:6], 16))

    def __str__(self) -> str:
        return f"bg-{self.rgb}"


class Quality(Scalar):
    word = slot = "quality"
    high = 100


OUTPUT_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF", "gif": "GIF", "auto": "auto"}


@dataclass(frozen=True)
class Format(Operation):
    word: ClassVar[str] = "format"
    slot: ClassVar[str] = "format"
    name: str  # a key of OUTPUT_FORMATS

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        if argument not in OUTPUT_FORMATS:
            raise InvalidSpec(f"“format-{argument}”: one of {', '.join(OUTPUT_FORMATS)}.")
        return cls(argument)

    def __str__(self) -> str:
        return f"format-{self.name}"


@dataclass(frozen=True)
class Flag(Operation):
    """A word without argument: ``grayscale``, ``upscale``, ``strip``, ``keep``."""

    takes_argument: ClassVar[bool] = False

    @classmethod
    def parse(cls, argument: str, max_edge: int) -> Operation:
        return cls()

    def __str__(self) -> str:
        return self.word


class Grayscale(Flag):
    word = "grayscale"
    slot = "grayscale"


class Upscale(Flag):
    """Allow output larger than the source (off by default: upscaling only blurs)."""

    word = "upscale"
    slot = "upscale"


class Strip(Flag):
    """The default: no EXIF but copyright; never GPS."""

    word = "strip"
    slot = "metadata"


class Keep(Flag):
    """Keep EXIF (camera, dates, copyright), still without GPS."""

    word = "keep"
    slot = "metadata"


REGISTRY: dict[str, type[Operation]] = {
    cls.word: cls
    for cls in (Fit, Fill, Pad, Width, Height, Crop, Rotate, Flip, Blur, Sharpen, Background,
                Quality, Format, Grayscale, Upscale, Strip, Keep)
}  # fmt: skip
