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
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

# Pillow refuses a PNG whose compressed chunk inflates past this (its MAX_TEXT_CHUNK): such a
# profile is dropped (the image reads as sRGB) rather than the image refused.
MAX_PNG_PROFILE_BYTES = 1024 * 1024
INFLATE_STEP = 1024 * 1024  # the row-count check inflates 1 MiB at a time: nothing is held
GIF_BLOCK_READ = 64 * 1024

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


def _exact(fileobj: IO[bytes], size: int) -> bytes:
    data = fileobj.read(size)
    if len(data) != size:
        raise EOFError
    return data


# --- JPEG ----------------------------------------------------------------------------------------

_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_ICC = b"ICC_PROFILE\x00"
_MPF = b"MPF\x00"


def _jpeg(fileobj: IO[bytes], frame_stop: int, header_only: bool, pixel_stop: int) -> Structure:
    """Markers from SOI to the first SOS; the scan data itself is left to libjpeg."""
    _exact(fileobj, 2)
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
        (length,) = struct.unpack(">H", _exact(fileobj, 2))
        if length < 2:
            raise StructureError("A JPEG segment has an impossible length.")
        body = _exact(fileobj, length - 2)
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
    byte = _exact(fileobj, 1)
    if byte != b"\xff":
        raise StructureError("The JPEG's markers are damaged.")
    while byte == b"\xff":  # fill bytes may precede a marker
        byte = _exact(fileobj, 1)
    return byte[0]


def _icc_sequence_ok(segments: list[bytes]) -> bool:
    """Each APP2 ICC segment carries its number and the total (ICC.1 B.4); Pillow indexes them."""
    if any(len(s) < len(_ICC) + 2 for s in segments):
        return False
    numbers = sorted(s[len(_ICC)] for s in segments)
    totals = {s[len(_ICC) + 1] for s in segments}
    return totals == {len(segments)} and numbers == list(range(1, len(segments) + 1))


# --- PNG / APNG ----------------------------------------------------------------------------------


def _png(fileobj: IO[bytes], frame_stop: int, header_only: bool, pixel_stop: int) -> Structure:
    """Every chunk's CRC, IHDR, acTL/fcTL frame rectangles, and that each frame's data holds
    all its rows (Pillow pads a short IDAT with blank rows instead of failing)."""
    _exact(fileobj, 8)
    header: _PngHeader | None = None
    declared_frames, fctls = 1, 0
    largest: Frame | None = None
    omit: list[ByteRange] = []
    notes: list[str] = []
    rows: _RowCounter | None = None
    frame_size: tuple[int, int] = (0, 0)
    ended = False
    for start, kind, data in _png_chunks(fileobj):
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
            if fctls > frame_stop:
                break  # enough to refuse: the rest is never read
        elif kind == b"iCCP" and not _png_profile_usable(data):
            omit.append((start, start + 12 + len(data)))
            notes.append("unusable ICC profile (read as sRGB)")
        elif kind in (b"IDAT", b"fdAT"):
            if header_only:
                break
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


def _png_chunks(fileobj: IO[bytes]) -> Iterator[tuple[int, bytes, bytes]]:
    while True:
        start = fileobj.tell()
        head = fileobj.read(8)
        if not head:
            raise StructureError("The PNG ends before its IEND chunk.")
        length, kind = struct.unpack(">I4s", _pad(head, 8))
        data = _exact(fileobj, length)
        (crc,) = struct.unpack(">I", _exact(fileobj, 4))
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


# --- GIF -----------------------------------------------------------------------------------------


def _gif(fileobj: IO[bytes], frame_stop: int, header_only: bool, pixel_stop: int) -> Structure:
    """The logical screen and every image descriptor. Pillow grows its canvas to hold a frame
    that overflows the screen, so the canvas is what the frames really need."""
    header = _exact(fileobj, 13)
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
            _exact(fileobj, 1)
            _skip_sub_blocks(fileobj)
        elif block == b",":
            left, top, width, height, flags = struct.unpack("<HHHHB", _exact(fileobj, 9))
            frame = Frame(left, top, width, height)
            frames += 1
            largest = frame if largest is None or frame.pixels > largest.pixels else largest
            canvas_w, canvas_h = max(canvas_w, left + width), max(canvas_h, top + height)
            if flags & 0x80:
                fileobj.seek(3 * 2 ** ((flags & 7) + 1), io.SEEK_CUR)
            _exact(fileobj, 1)  # LZW minimum code size
            _skip_sub_blocks(fileobj)
        else:
            break  # Pillow stops at an unknown block: so does the count
    if frames == 0:
        raise StructureError("The GIF has no image.")
    return Structure("GIF", (canvas_w, canvas_h), frames, largest)


def _skip_sub_blocks(fileobj: IO[bytes]) -> None:
    while True:
        size = _exact(fileobj, 1)[0]
        if size == 0:
            return
        if len(fileobj.read(size)) != size:
            raise EOFError


# --- WebP ----------------------------------------------------------------------------------------


def _webp(fileobj: IO[bytes], frame_stop: int, header_only: bool, pixel_stop: int) -> Structure:
    """RIFF chunks: VP8X's canvas, ANMF frame rectangles (the decoder composes each frame onto
    a full canvas), or the one VP8/VP8L bitstream of a still image."""
    _exact(fileobj, 12)
    canvas: tuple[int, int] | None = None
    frames = 0
    largest: Frame | None = None
    while frames < frame_stop:
        head = fileobj.read(8)
        if len(head) < 8:
            break
        kind, length = head[:4], struct.unpack("<I", head[4:])[0]
        if kind == b"ANMF":
            body = _exact(fileobj, 16)
            fileobj.seek(length + (length & 1) - 16, io.SEEK_CUR)
            frame = _anmf_frame(body)
            frames += 1
            largest = frame if largest is None or frame.pixels > largest.pixels else largest
            continue
        body = _exact(fileobj, min(length, 30))
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


_READERS: dict[str, Callable[[IO[bytes], int, bool, int], Structure]] = {
    "JPEG": _jpeg, "PNG": _png, "GIF": _gif, "WEBP": _webp
}  # fmt: skip


# --- a view of a file without some byte ranges ---------------------------------------------------


class OmittingReader(io.RawIOBase):
    """Reads ``fileobj`` as if the byte ranges in ``omit`` were not there (seekable)."""

    def __init__(self, fileobj: IO[bytes], omit: tuple[ByteRange, ...]) -> None:
        super().__init__()
        self.fileobj, self.position = fileobj, 0
        fileobj.seek(0, io.SEEK_END)
        self.real_size = fileobj.tell()
        # (virtual start, real start, length) of each kept piece
        self.pieces: list[tuple[int, int, int]] = []
        real = virtual = 0
        for start, end in (*omit, (self.real_size, self.real_size)):
            if start > real:
                self.pieces.append((virtual, real, start - real))
                virtual += start - real
            real = max(real, end)
        self.size = virtual

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted, done = len(buffer), 0
        view = memoryview(buffer).cast("B")
        for virtual, real, length in self.pieces:
            if done == wanted or self.position >= virtual + length:
                continue
            if self.position < virtual:
                break
            skip = self.position - virtual
            count = min(length - skip, wanted - done)
            self.fileobj.seek(real + skip)
            data = self.fileobj.read(count)
            view[done : done + len(data)] = data
            done += len(data)
            self.position += len(data)
        return done


def decoder_view(fileobj: IO[bytes], fmt: str) -> IO[bytes]:
    """What a decoder should read of an original that was already validated: the header walk
    only (cheap), then ``omitting``. Used by renders, which must see what ingest saw."""
    try:
        structure = read_structure(fileobj, fmt, frame_stop=1, header_only=True)
    except StructureError:
        return fileobj  # validated at ingest: let the decoder say what is wrong
    return omitting(fileobj, structure)


def omitting(fileobj: IO[bytes], structure: Structure) -> IO[bytes]:
    """``fileobj`` itself, or a view of it without the ranges the decoder must not see."""
    fileobj.seek(0)
    if not structure.omit:
        return fileobj
    return io.BufferedReader(OmittingReader(fileobj, structure.omit))
