"""PURE: a PNG's chunks: checksums, the header, APNG frames, and that image data holds every row."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from assets.structure.base import INFLATE_STEP, ByteRange, Frame, Structure, StructureError, read_exact

# Pillow refuses a PNG whose compressed chunk inflates past this (its MAX_TEXT_CHUNK): such a
# profile is dropped (the image reads as sRGB) rather than the image refused.
MAX_PNG_PROFILE_BYTES = 1024 * 1024
# The same for text (tEXt, zTXt, iTXt): a chunk that would inflate past MAX_PNG_PROFILE_BYTES, or
# one past this much text in all (Pillow refuses beyond 64 MiB), or one Pillow cannot read at all
# (a zTXt compressed by an unknown method), is dropped, not the image: it is metadata.
MAX_PNG_TEXT_TOTAL = 16 * 1024 * 1024
IMAGE_DATA = frozenset({b"IDAT", b"fdAT"})
TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})


def read_png(fileobj: IO[bytes], frame_stop: int, header_only: bool, pixel_stop: int) -> Structure:
    """Every chunk's CRC, IHDR, acTL/fcTL frame rectangles, and that each frame's data holds
    all its rows (Pillow pads a short IDAT with blank rows instead of failing)."""
    read_exact(fileobj, 8)
    header: _PngHeader | None = None
    declared_frames, fctls = 1, 0
    largest: Frame | None = None
    omit: list[ByteRange] = []
    notes: list[str] = []
    rows: _RowCounter | None = None
    frame_size: tuple[int, int] = (0, 0)
    ended = False
    text_total = 0
    # A render (``header_only``) walks past the image data without reading it: a text chunk after
    # it is read by Pillow too (when the pixels are done), and must be dropped for it as well.
    for start, kind, data in _png_chunks(fileobj, skip=IMAGE_DATA if header_only else frozenset()):
        if kind == b"IHDR":
            header = _PngHeader.parse(data)
            frame_size = (header.width, header.height)
            largest = Frame(0, 0, header.width, header.height)
        elif header is None:
            raise StructureError("The PNG does not start with its header.")
        elif kind == b"acTL":
            declared_frames = max(1, struct.unpack(">I", data[:4])[0])
        elif kind == b"fcTL":
            _finish_rows(rows)
            rows, fctls = None, fctls + 1
            frame = _fctl_frame(data, header)
            largest = frame if largest is None or frame.pixels > largest.pixels else largest
            frame_size = (frame.width, frame.height)
            if fctls > frame_stop and not header_only:
                break  # enough to refuse: the rest is never read
        elif kind == b"iCCP" and not _png_profile_usable(data):
            omit.append((start, start + 12 + len(data)))
            notes.append("unusable ICC profile (read as sRGB)")
        elif kind in TEXT:
            size = _png_text_size(kind, data)
            if size is None or size > MAX_PNG_PROFILE_BYTES or text_total + size > MAX_PNG_TEXT_TOTAL:
                omit.append((start, start + 12 + len(data)))
                if "oversized text (not read)" not in notes:
                    notes.append("oversized text (not read)")
            else:
                text_total += size
        elif kind in IMAGE_DATA:
            if header_only:
                continue
            if pixel_stop and frame_size[0] * frame_size[1] > pixel_stop:
                continue
            rows = rows or _RowCounter(header, frame_size)
            rows.feed(data[4:] if kind == b"fdAT" else data)
        elif kind == b"IEND":
            ended = True
    if ended:
        _finish_rows(rows)
    if header is None:
        raise StructureError("The PNG has no header.")
    frames = min(declared_frames, frame_stop) if fctls else 1
    frames = max(frames, min(fctls, frame_stop))
    canvas = (header.width, header.height)
    return Structure("PNG", canvas, frames, largest, tuple(omit), None, tuple(notes))


def _png_chunks(
    fileobj: IO[bytes], skip: frozenset[bytes] = frozenset()
) -> Iterator[tuple[int, bytes, bytes]]:
    """(offset, kind, data) of each chunk, its checksum checked; a chunk of a kind in ``skip`` is
    sought past, unread and unchecked, with empty data."""
    while True:
        start = fileobj.tell()
        head = fileobj.read(8)
        if not head:
            raise StructureError("The PNG ends before its IEND chunk.")
        length, kind = struct.unpack(">I4s", _pad(head, 8))
        if kind in skip:
            fileobj.seek(length + 4, io.SEEK_CUR)
            yield start, kind, b""
            continue
        data = read_exact(fileobj, length)
        (crc,) = struct.unpack(">I", read_exact(fileobj, 4))
        if zlib.crc32(kind + data) != crc:
            raise StructureError(f"The PNG's {kind.decode('latin-1')} chunk fails its checksum.")
        yield start, kind, data
        if kind == b"IEND":
            return


def _pad(data: bytes, size: int) -> bytes:
    if len(data) != size:
        raise EOFError
    return data


@dataclass(frozen=True)
class _PngHeader:
    width: int
    height: int
    bits_per_pixel: int
    interlaced: bool

    @classmethod
    def parse(cls, data: bytes) -> _PngHeader:
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[:13])
        channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
        if channels is None or width == 0 or height == 0:
            raise StructureError("The PNG header is invalid.")
        return cls(width, height, depth * channels, interlace == 1)

    def data_bytes(self, width: int, height: int) -> int:
        """Inflated size of a frame: one filter byte per row, Adam7 passes when interlaced."""
        if not self.interlaced:
            return height * (1 + (width * self.bits_per_pixel + 7) // 8)
        total = 0
        for x0, y0, dx, dy in _ADAM7:
            pw, ph = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
            if pw > 0 and ph > 0:
                total += ph * (1 + (pw * self.bits_per_pixel + 7) // 8)
        return total


_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


class _RowCounter:
    """Inflates a frame's data stream piece by piece, keeping only the count of its bytes."""

    def __init__(self, header: _PngHeader, size: tuple[int, int]) -> None:
        self.expected = header.data_bytes(*size)
        self.inflater = zlib.decompressobj()
        self.produced = 0

    def feed(self, data: bytes) -> None:
        try:
            chunk = self.inflater.decompress(data, INFLATE_STEP)
            while chunk:
                self.produced += len(chunk)
                if self.produced > self.expected:
                    return  # more than enough: Pillow ignores the surplus
                chunk = self.inflater.decompress(self.inflater.unconsumed_tail, INFLATE_STEP)
        except zlib.error as exc:
            raise StructureError("The PNG's image data is damaged.") from exc

    def finish(self) -> None:
        if self.produced < self.expected:
            raise StructureError(
                f"The PNG's image data ends early ({self.produced:,} of {self.expected:,} bytes)."
            )


def _finish_rows(rows: _RowCounter | None) -> None:
    if rows is not None:
        rows.finish()


def _fctl_frame(data: bytes, header: _PngHeader) -> Frame:
    width, height, left, top = struct.unpack(">IIII", data[4:20])
    if width == 0 or height == 0 or left + width > header.width or top + height > header.height:
        raise StructureError("An APNG frame lies outside the image.")
    return Frame(left, top, width, height)


def _png_text_size(kind: bytes, data: bytes) -> int | None:
    """The text's size as Pillow would hold it (inflated), at most MAX_PNG_PROFILE_BYTES + 1;
    None when Pillow would refuse the chunk (an unknown compression method)."""
    _, _, rest = data.partition(b"\x00")
    if kind == b"tEXt":
        return len(rest)
    if kind == b"zTXt":
        if rest[:1] not in (b"", b"\x00"):
            return None
        return _inflated_size(rest[1:])
    compressed, method = rest[:1] == b"\x01", rest[1:2]  # iTXt: flag, method, language, key, text
    text = rest[2:].split(b"\x00", 2)[-1]
    return _inflated_size(text) if compressed and method == b"\x00" else len(text)


def _inflated_size(data: bytes) -> int:
    """Bytes ``data`` inflates to, counted up to MAX_PNG_PROFILE_BYTES + 1 (damaged: what came
    out before the damage, as Pillow keeps nothing of such a chunk and goes on)."""
    inflater = zlib.decompressobj()
    try:
        return len(inflater.decompress(data, MAX_PNG_PROFILE_BYTES + 1))
    except zlib.error:
        return 0


def _png_profile_usable(data: bytes) -> bool:
    name_end = data.find(b"\x00")
    if name_end < 0 or name_end + 2 > len(data):
        return False
    inflater = zlib.decompressobj()
    try:
        inflater.decompress(data[name_end + 2 :], MAX_PNG_PROFILE_BYTES + 1)
    except zlib.error:
        return False
    return not inflater.unconsumed_tail and inflater.eof
