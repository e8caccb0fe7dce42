"""PURE: read an image file's structure (markers, chunks, frame descriptors) without decoding pixels.

Pillow answers "how big is this image?" from the first frame's header only, and some of its
decoders fail (or worse, crash) on structures a pure walk can recognise first. Reading the
container ourselves tells, before any codec runs:

* every frame's own size and offset (a GIF's frames may be far larger than its screen, an
  animated WebP or APNG declares a canvas that each frame is composed onto), counted no further
  than a limit requires;
* which JPEG process the file uses (baseline, progressive, lossless, hierarchical, arithmetic;
  8 or 12 bits): libjpeg-turbo overflows its heap when a lossless JPEG is decoded scaled, so
  scaled decoding (``draft``) is only used where it is known safe;
* damage the decoders do not report: PNG chunk checksums (Pillow skips the IDAT ones), image
  data that ends before the last row (Pillow pads the missing rows silently), and a JPEG scan
  cut short and closed with an EOI, where its restart markers show it (libjpeg only warns);
* metadata segments a decoder chokes on although the pixels are fine (an ICC profile split
  without sequence numbers, an oversized PNG profile, a JPEG's MPO index): their byte ranges are
  *omitted* from what the decoder sees, so the image reads as plain sRGB (see ``omitting``).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from typing import IO

from assets.structure.base import ByteRange, Frame, JpegProcess, Structure, StructureError
from assets.structure.gif import read_gif
from assets.structure.jpeg import read_jpeg
from assets.structure.png import read_png
from assets.structure.view import OmittingReader, omitting
from assets.structure.webp import read_webp

__all__ = ["ByteRange", "Frame", "JpegProcess", "OmittingReader", "Structure", "StructureError",
           "decoder_view", "omitting", "read_structure", "whole_read_size"]  # fmt: skip

_READERS: dict[str, Callable[[IO[bytes], int, bool, int], Structure]] = {
    "JPEG": read_jpeg, "PNG": read_png, "GIF": read_gif, "WEBP": read_webp
}  # fmt: skip


def read_structure(
    fileobj: IO[bytes], fmt: str, *, frame_stop: int, header_only: bool = False, pixel_stop: int = 0
) -> Structure:
    """Walk the container of ``fmt``; count frames up to ``frame_stop``. Raises StructureError.

    ``header_only``: stop where the image data starts (enough for ``omitting``; a render of an
    already validated original does not pay for the checksum and row checks again).
    ``pixel_stop``: image data of a frame larger than this is not inflated (it will be refused
    for its size; a header bomb must not cost the time to inflate what it claims).
    """
    reader = _READERS.get(fmt)
    fileobj.seek(0)
    try:
        if reader is None:  # HEIF/AVIF: their (ISO BMFF) parsers are asked by the validator
            return Structure(fmt, (0, 0), 0)
        if header_only and fmt in ("GIF", "WEBP"):
            return Structure(fmt, (0, 0), 0)  # nothing in them is ever omitted
        return reader(fileobj, frame_stop, header_only, pixel_stop)
    except (struct.error, IndexError, EOFError) as exc:
        raise StructureError(f"The {fmt} file ends or breaks inside its structure.") from exc
    finally:
        fileobj.seek(0)


def decoder_view(fileobj: IO[bytes], fmt: str) -> IO[bytes]:
    """What a decoder should read of an original that was already validated: the header walk
    only (cheap), then ``omitting``. Used by renders, which must see what ingest saw."""
    try:
        structure = read_structure(fileobj, fmt, frame_stop=1, header_only=True)
    except StructureError:
        return fileobj  # validated at ingest: let the decoder say what is wrong
    return omitting(fileobj, structure)


def whole_read_size(fileobj: IO[bytes], process: JpegProcess | None) -> int | None:
    """The read size (Pillow's ``decodermaxblock``) that hands libjpeg a JPEG whose decoder
    cannot suspend (arithmetic coding, ``JpegProcess.suspends``) in one piece: the file's size,
    already capped by the upload limit. None: the default 64 KiB reads are fine."""
    if process is None or process.suspends:
        return None
    position = fileobj.tell()
    try:
        return max(1, fileobj.seek(0, io.SEEK_END))
    finally:
        fileobj.seek(position)
