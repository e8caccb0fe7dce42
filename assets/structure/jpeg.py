"""PURE: a JPEG's markers, from SOI to the first scan (and its restart markers when asked)."""

from __future__ import annotations

import re
import struct
from typing import IO

from assets.structure.base import (
    INFLATE_STEP,
    ByteRange,
    Frame,
    JpegProcess,
    Structure,
    StructureError,
    read_exact,
)

_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_ICC = b"ICC_PROFILE\x00"
_MPF = b"MPF\x00"


def read_jpeg(fileobj: IO[bytes], frame_stop: int, header_only: bool, pixel_stop: int) -> Structure:
    """Markers from SOI to the first SOS; the scan data itself is left to libjpeg."""
    read_exact(fileobj, 2)
    process: JpegProcess | None = None
    size = (0, 0)
    icc: list[tuple[ByteRange, bytes]] = []
    omit: list[ByteRange] = []
    notes: list[str] = []
    sampling: list[tuple[int, int]] = []
    restart_interval = scan_components = 0
    while True:
        marker = _next_marker(fileobj)
        if marker in _STANDALONE:
            continue
        if marker == 0xD9:  # EOI before any scan
            break
        start = fileobj.tell() - 2
        (length,) = struct.unpack(">H", read_exact(fileobj, 2))
        if length < 2:
            raise StructureError("A JPEG segment has an impossible length.")
        body = read_exact(fileobj, length - 2)
        if marker == 0xDA:  # SOS: the header is over, entropy-coded data follows
            scan_components = body[0]
            break
        if marker == 0xDD:
            (restart_interval,) = struct.unpack(">H", body[:2])
        if marker in _SOF and process is None:
            precision, height, width, count = struct.unpack(">BHHB", body[:6])
            process, size = JpegProcess(marker, precision), (width, height)
            sampling = [(body[7 + 3 * i] >> 4, body[7 + 3 * i] & 15) for i in range(count)]
        elif marker == 0xE2 and body.startswith(_ICC):
            icc.append(((start, start + 2 + length), body))
        elif marker == 0xE2 and body.startswith(_MPF):
            # An MPO (stereo pair, phone depth map): a JPEG followed by more images. Without its
            # index Pillow reads it as the plain JPEG that its first image is.
            omit.append((start, start + 2 + length))
            notes.append("MPO index (first image kept)")
    if process is None:
        raise StructureError("The JPEG has no frame header.")
    if size[0] == 0 or size[1] == 0:
        raise StructureError("JPEGs whose height is only given after the scan are not accepted.",
                             code="unsupported_format")  # fmt: skip
    if icc and not _icc_sequence_ok([body for _, body in icc]):
        omit += [where for where, _ in icc]
        notes.append("unusable ICC profile (read as sRGB)")
    if (
        restart_interval
        and not header_only
        and process.marker in (0xC0, 0xC1)
        and scan_components == len(sampling)
    ):
        _check_restarts(fileobj, _mcus(size, sampling), restart_interval)
    full = Frame(0, 0, *size)
    return Structure("JPEG", size, 1, full, tuple(sorted(omit)), process, tuple(notes))


def _mcus(size: tuple[int, int], sampling: list[tuple[int, int]]) -> int:
    """MCUs of a sequential scan of every component (ITU T.81 A.2): one 8×8 block per MCU for
    a single component, else blocks of 8·Hmax × 8·Vmax pixels."""
    if len(sampling) == 1:
        return -(-size[0] // 8) * -(-size[1] // 8)
    h_max, v_max = max(h for h, _ in sampling), max(v for _, v in sampling)
    return -(-size[0] // (8 * max(h_max, 1))) * -(-size[1] // (8 * max(v_max, 1)))


_SCAN_MARKER = re.compile(rb"\xff+([^\x00\xff])")


def _check_restarts(fileobj: IO[bytes], mcus: int, interval: int) -> None:
    """A single-scan JPEG with restart markers must have one after every ``interval`` MCUs but
    the last. Fewer means the scan was cut short, even if an EOI was appended: libjpeg only
    warns about that ("premature end of data segment") and paints the rest grey."""
    expected = -(-mcus // interval) - 1
    found, carry = 0, b""
    while chunk := fileobj.read(INFLATE_STEP):
        data = carry + chunk
        for match in _SCAN_MARKER.finditer(data):
            if not 0xD0 <= match.group(1)[0] <= 0xD7:  # the scan is over (EOI, or more scans)
                _restarts_complete(found, expected)
                return
            found += 1
        carry = data[len(data.rstrip(b"\xff")) :]  # a marker's 0xFF may end this chunk
    _restarts_complete(found, expected)


def _restarts_complete(found: int, expected: int) -> None:
    if found < expected:
        raise StructureError(f"The JPEG's image data ends early ({found} of {expected} restart markers).")


def _next_marker(fileobj: IO[bytes]) -> int:
    byte = read_exact(fileobj, 1)
    if byte != b"\xff":
        raise StructureError("The JPEG's markers are damaged.")
    while byte == b"\xff":  # fill bytes may precede a marker
        byte = read_exact(fileobj, 1)
    return byte[0]


def _icc_sequence_ok(segments: list[bytes]) -> bool:
    """Each APP2 ICC segment carries its number and the total (ICC.1 B.4); Pillow indexes them."""
    if any(len(s) < len(_ICC) + 2 for s in segments):
        return False
    numbers = sorted(s[len(_ICC)] for s in segments)
    totals = {s[len(_ICC) + 1] for s in segments}
    return totals == {len(segments)} and numbers == list(range(1, len(segments) + 1))
