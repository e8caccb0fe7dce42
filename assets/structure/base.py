"""PURE: the values a structure walk produces, shared by the per-format readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

INFLATE_STEP = 1024 * 1024  # data is inflated or scanned 1 MiB at a time: nothing is held

ByteRange = tuple[int, int]  # [start, end) in the file


class StructureError(ValueError):
    """The file's structure makes it unacceptable; ``code`` is the stable error code."""

    def __init__(self, message: str, code: str = "corrupt_image") -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Frame:
    left: int
    top: int
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class JpegProcess:
    """What a JPEG's SOF marker says about how its pixels are coded."""

    marker: int  # 0xC0..0xCF
    precision: int  # bits per sample

    @property
    def name(self) -> str:
        return _JPEG_PROCESSES[self.marker & 0x07]

    @property
    def arithmetic(self) -> bool:
        return self.marker >= 0xC9

    @property
    def lossless(self) -> bool:
        return self.marker in (0xC3, 0xC7, 0xCB, 0xCF)

    @property
    def hierarchical(self) -> bool:
        return self.marker in (0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF)

    @property
    def suspends(self) -> bool:
        """Whether libjpeg can stop mid-scan for more input and resume (Pillow hands it the file
        ``decodermaxblock`` = 64 KiB at a time). Its arithmetic decoder cannot: jdarith.c's
        ``get_byte`` errors out ("Suspension is not currently supported in this module") when
        a chunk ends inside the scan, so such a JPEG must be fed whole (``whole_read_size``)."""
        return not self.arithmetic

    @property
    def scaled_decode_safe(self) -> bool:
        """DCT scaling (Pillow's ``draft``) only for the mainstream, heavily fuzzed processes:
        8-bit Huffman baseline, extended or progressive (libjpeg-turbo's lossless mode has no
        DCT to scale and corrupts its heap when asked to; 12-bit and arithmetic are rare paths)."""
        return self.marker in (0xC0, 0xC1, 0xC2) and self.precision == 8

    def describe(self) -> str:
        coding = "arithmetic" if self.arithmetic else "Huffman"
        return f"{self.precision}-bit {self.name} JPEG ({coding} coding)"


_JPEG_PROCESSES = {0: "baseline", 1: "extended", 2: "progressive", 3: "lossless",
                   4: "hierarchical", 5: "hierarchical", 6: "hierarchical", 7: "hierarchical"}  # fmt: skip


@dataclass(frozen=True)
class Structure:
    """What the container says, before any decoder runs."""

    format: str
    canvas: tuple[int, int]  # what each frame is decoded onto (grown to hold oversized frames)
    frames: int  # counted no further than the caller's stop
    largest_frame: Frame | None = None
    omit: tuple[ByteRange, ...] = ()  # byte ranges the decoder must not see
    jpeg: JpegProcess | None = None
    notes: tuple[str, ...] = field(default=())  # what was omitted and why (for the log)


def read_exact(fileobj: IO[bytes], size: int) -> bytes:
    data = fileobj.read(size)
    if len(data) != size:
        raise EOFError
    return data
