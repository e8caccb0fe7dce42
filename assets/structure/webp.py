"""PURE: a WebP's RIFF chunks: the canvas and each animation frame's rectangle."""

from __future__ import annotations

import io
import struct
from typing import IO

from assets.structure.base import Frame, Structure, StructureError, read_exact


def read_webp(fileobj: IO[bytes], frame_stop: int, header_only: bool, pixel_stop: int) -> Structure:
    """RIFF chunks: VP8X's canvas, ANMF frame rectangles (the decoder composes each frame onto
    a full canvas), or the one VP8/VP8L bitstream of a still image."""
    read_exact(fileobj, 12)
    canvas: tuple[int, int] | None = None
    frames = 0
    largest: Frame | None = None
    while frames < frame_stop:
        head = fileobj.read(8)
        if len(head) < 8:
            break
        kind, length = head[:4], struct.unpack("<I", head[4:])[0]
        if kind == b"ANMF":
            body = read_exact(fileobj, 16)
            fileobj.seek(length + (length & 1) - 16, io.SEEK_CUR)
            frame = _anmf_frame(body)
            frames += 1
            largest = frame if largest is None or frame.pixels > largest.pixels else largest
            continue
        body = read_exact(fileobj, min(length, 30))
        fileobj.seek(length + (length & 1) - len(body), io.SEEK_CUR)
        if kind == b"VP8X":
            canvas = (_u24(body, 4) + 1, _u24(body, 7) + 1)
        elif kind in (b"VP8 ", b"VP8L") and canvas is None:
            canvas = _vp8_size(kind, body)
            return Structure("WEBP", canvas, 1, Frame(0, 0, *canvas))
    if canvas is None:
        raise StructureError("The WebP has no image.")
    if largest is not None and (
        largest.left + largest.width > canvas[0] or largest.top + largest.height > canvas[1]
    ):
        raise StructureError("A WebP frame lies outside the canvas.")
    return Structure("WEBP", canvas, max(frames, 1), largest or Frame(0, 0, *canvas))


def _u24(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "little")


def _anmf_frame(body: bytes) -> Frame:
    return Frame(2 * _u24(body, 0), 2 * _u24(body, 3), _u24(body, 6) + 1, _u24(body, 9) + 1)


def _vp8_size(kind: bytes, body: bytes) -> tuple[int, int]:
    if kind == b"VP8L":
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    width, height = struct.unpack("<HH", body[6:10])
    return width & 0x3FFF, height & 0x3FFF
