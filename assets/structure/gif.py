"""PURE: a GIF's logical screen and image descriptors, without decoding a frame."""

from __future__ import annotations

import io
import struct
from typing import IO

from assets.structure.base import Frame, Structure, StructureError, read_exact


def read_gif(fileobj: IO[bytes], frame_stop: int, header_only: bool, pixel_stop: int) -> Structure:
    """The logical screen and every image descriptor. Pillow grows its canvas to hold a frame
    that overflows the screen, so the canvas is what the frames really need."""
    header = read_exact(fileobj, 13)
    screen_w, screen_h, flags = struct.unpack("<HHB", header[6:11])
    if flags & 0x80:
        fileobj.seek(3 * 2 ** ((flags & 7) + 1), io.SEEK_CUR)
    canvas_w, canvas_h, frames = screen_w, screen_h, 0
    largest: Frame | None = None
    while frames < frame_stop:
        block = fileobj.read(1)
        if block in (b"", b";"):  # trailer (or a missing one: Pillow accepts that too)
            break
        if block == b"!":
            read_exact(fileobj, 1)
            _skip_sub_blocks(fileobj)
        elif block == b",":
            left, top, width, height, flags = struct.unpack("<HHHHB", read_exact(fileobj, 9))
            frame = Frame(left, top, width, height)
            frames += 1
            largest = frame if largest is None or frame.pixels > largest.pixels else largest
            canvas_w, canvas_h = max(canvas_w, left + width), max(canvas_h, top + height)
            if flags & 0x80:
                fileobj.seek(3 * 2 ** ((flags & 7) + 1), io.SEEK_CUR)
            read_exact(fileobj, 1)  # LZW minimum code size
            _skip_sub_blocks(fileobj)
        else:
            break  # Pillow stops at an unknown block: so does the count
    if frames == 0:
        raise StructureError("The GIF has no image.")
    return Structure("GIF", (canvas_w, canvas_h), frames, largest)


def _skip_sub_blocks(fileobj: IO[bytes]) -> None:
    while True:
        size = read_exact(fileobj, 1)[0]
        if size == 0:
            return
        if len(fileobj.read(size)) != size:
            raise EOFError
