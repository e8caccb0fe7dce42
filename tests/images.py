"""Test images, made in memory: every variant a real editor will upload, and the hostile ones."""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
from PIL import Image, ImageDraw

pillow_heif.register_heif_opener()


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def marked(size: tuple[int, int] = (120, 80), mode: str = "RGB") -> Image.Image:
    """A picture whose top-left quadrant is red and the rest blue: orientation is checkable."""
    image = Image.new("RGB", size, (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2 - 1, size[1] // 2 - 1), fill=(255, 0, 0))
    return image.convert(mode)


def jpeg(
    size: tuple[int, int] = (120, 80),
    *,
    orientation: int = 1,
    quality: int = 90,
    exif: dict[int, object] | None = None,
) -> bytes:
    image = marked(size)
    info = Image.Exif()
    if orientation != 1:
        info[0x0112] = orientation
    for tag, value in (exif or {}).items():
        info[tag] = value
    return _save(image, "JPEG", quality=quality, exif=info.tobytes())


def oriented_jpeg(orientation: int, displayed: tuple[int, int] = (120, 80)) -> bytes:
    """A JPEG stored so that, with its EXIF orientation applied, it shows ``marked(displayed)``."""
    inverse = {
        1: None,
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    image = marked(displayed)
    stored = image.transpose(inverse) if inverse is not None else image
    info = Image.Exif()
    info[0x0112] = orientation
    return _save(stored, "JPEG", quality=95, exif=info.tobytes())


def cmyk_jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    return _save(marked(size).convert("CMYK"), "JPEG", quality=95)


def png(size: tuple[int, int] = (120, 80), mode: str = "RGB") -> bytes:
    return _save(marked(size, "RGB").convert(mode) if mode != "RGB" else marked(size), "PNG")


def png16(size: tuple[int, int] = (64, 48)) -> bytes:
    gradient = Image.linear_gradient("L").resize(size).convert("I")
    return _save(gradient.point(lambda v: v * 256).convert("I;16"), "PNG")


def palette_png_with_transparency(size: tuple[int, int] = (64, 48)) -> bytes:
    image = marked(size).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return _save(image, "PNG", transparency=0)


def rgba_png(size: tuple[int, int] = (64, 48), alpha: int = 0) -> bytes:
    image = marked(size).convert("RGBA")
    image.putalpha(alpha)
    return _save(image, "PNG")


def frames(count: int, size: tuple[int, int] = (40, 30)) -> list[Image.Image]:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    return [Image.new("RGB", size, colours[i % len(colours)]) for i in range(count)]


def animated_gif(count: int = 3, size: tuple[int, int] = (40, 30)) -> bytes:
    first, *rest = frames(count, size)
    return _save(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


def animated_webp(count: int = 3, size: tuple[int, int] = (40, 30)) -> bytes:
    first, *rest = frames(count, size)
    return _save(first, "WEBP", save_all=True, append_images=rest, duration=100, loop=0, lossless=True)


def webp(size: tuple[int, int] = (120, 80)) -> bytes:
    return _save(marked(size), "WEBP", quality=90)


def gif(size: tuple[int, int] = (120, 80)) -> bytes:
    return _save(marked(size).convert("P"), "GIF")


def avif(size: tuple[int, int] = (64, 48)) -> bytes:
    return _save(marked(size), "AVIF", quality=80)


def heic(size: tuple[int, int] = (64, 48)) -> bytes:
    return _save(marked(size), "HEIF", quality=90)


def tiff(size: tuple[int, int] = (32, 32)) -> bytes:
    return _save(marked(size), "TIFF")


def bmp(size: tuple[int, int] = (32, 32)) -> bytes:
    return _save(marked(size), "BMP")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a huge size: must be refused before any decode."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def truncated_jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    data = jpeg(size, quality=95)
    return data[: len(data) // 2]


def svg() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


def html() -> bytes:
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>"


# --- hostile and unusual files (issue: no input crashes a process; odd-but-valid files decode) ---


class _BitWriter:
    """JPEG entropy-coded bits: MSB first, a 0x00 stuffed after every 0xFF, 1-bits pad the end."""

    def __init__(self) -> None:
        self.out, self.acc, self.count = bytearray(), 0, 0

    def put(self, value: int, length: int) -> None:
        for shift in range(length - 1, -1, -1):
            self.acc, self.count = (self.acc << 1) | ((value >> shift) & 1), self.count + 1
            if self.count == 8:
                self.out += b"\xff\x00" if self.acc == 0xFF else bytes([self.acc])
                self.acc, self.count = 0, 0

    def flush(self) -> bytes:
        if self.count:
            self.put((1 << (8 - self.count)) - 1, 8 - self.count)
        return bytes(self.out)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def lossless_jpeg(size: tuple[int, int] = (64, 48), *, precision: int = 8, marker: int = 0xC3) -> bytes:
    """A real lossless (SOF3, predictor 1) JPEG of ``marked(size)`` in grey, Huffman coded.

    Pillow cannot write one and Debian's cjpeg (libjpeg-turbo 2.1) has no ``-lossless``, so it is
    coded here (ITU T.81 H.1): each sample's difference from its left (or upper) neighbour, as a
    magnitude category (one 5-bit code per category 0..16) plus that many extra bits.
    """
    width, height = size
    grey = marked(size, "L")
    scale = (1 << precision) - 1
    rows = [[grey.getpixel((x, y)) * scale // 255 for x in range(width)] for y in range(height)]  # type: ignore[operator]
    bits = _BitWriter()
    for y in range(height):
        for x in range(width):
            if x == 0 and y == 0:
                predicted = 1 << (precision - 1)
            else:
                predicted = rows[y][x - 1] if x else rows[y - 1][x]
            diff = rows[y][x] - predicted
            category = abs(diff).bit_length()
            bits.put(category, 5)
            if category:
                bits.put(diff if diff >= 0 else diff + (1 << category) - 1, category)
    sof = struct.pack(">BHHB", precision, height, width, 1) + bytes([1, 0x11, 0])
    counts = bytes([0, 0, 0, 0, 17] + [0] * 11)  # 17 codes of 5 bits: category k is code k
    dht = b"\x00" + counts + bytes(range(17))
    sos = bytes([1, 1, 0x00, 1, 0, 0])  # 1 component, table 0, predictor 1, no point transform
    return (b"\xff\xd8" + _segment(marker, sof) + _segment(0xC4, dht) + _segment(0xDA, sos)
            + bits.flush() + b"\xff\xd9")  # fmt: skip


def lossless_jpeg_flat(size: tuple[int, int], components: int = 3) -> bytes:
    """A lossless (SOF3) JPEG of one flat mid-grey colour at any size, made instantly: every
    sample's difference from its neighbour is 0, coded as the 1-bit code ``0``, so its scan is
    zero bytes (a 100 MP RGB picture: a 36 MiB file). For the cost of a decode at full size."""
    width, height = size
    sof = struct.pack(">BHHB", 8, height, width, components)
    sof += b"".join(bytes([index + 1, 0x11, 0]) for index in range(components))
    counts = bytes([1, 0, 0, 0, 15, 1] + [0] * 10)  # category 0: code "0"; none all 1s
    dht = b"\x00" + counts + bytes(range(17))
    sos = bytes([components]) + b"".join(bytes([index + 1, 0]) for index in range(components))
    sos += bytes([1, 0, 0])  # predictor 1, no point transform
    scan = bytes(-(-width * height * components // 8))
    return (b"\xff\xd8" + _segment(0xC3, sof) + _segment(0xC4, dht) + _segment(0xDA, sos) + scan
            + b"\xff\xd9")  # fmt: skip


def with_sof(data: bytes, marker: int, precision: int = 8) -> bytes:
    """A JPEG whose frame header claims another process (and precision): for refusals only."""
    at = data.index(b"\xff\xc0")
    return data[: at + 1] + bytes([marker]) + data[at + 2 : at + 4] + bytes([precision]) + data[at + 5 :]


def exif_block(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """An APP1 EXIF payload with IFD0 only, written by hand so tags may have the *wrong* types.

    ``entries``: (tag, TIFF type, count, value bytes, little-endian).
    """
    offset = 8 + 2 + len(entries) * 12 + 4
    ifd, extra = struct.pack("<H", len(entries)), b""
    for tag, kind, count, payload in sorted(entries):
        if len(payload) <= 4:
            ifd += struct.pack("<HHI", tag, kind, count) + payload.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, kind, count, offset + len(extra))
            extra += payload + b"\x00" * (len(payload) % 2)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + extra


def jpeg_with_exif(exif: bytes, size: tuple[int, int] = (120, 80)) -> bytes:
    return _save(marked(size), "JPEG", quality=90, exif=exif)


def rational_orientation_jpeg(orientation: int = 6, size: tuple[int, int] = (120, 80)) -> bytes:
    """Orientation stored as RATIONAL n/1 instead of SHORT n."""
    return jpeg_with_exif(exif_block([(0x0112, 5, 1, struct.pack("<II", orientation, 1))]), size)


def insert_segment(data: bytes, marker: int, payload: bytes) -> bytes:
    """``data`` (a JPEG) with a segment inserted right after SOI."""
    return data[:2] + _segment(marker, payload) + data[2:]


def mpo(size: tuple[int, int] = (64, 48)) -> bytes:
    """A stereo pair as cameras write it: a red JPEG, its MP index, then a blue JPEG."""
    left, right = Image.new("RGB", size, (255, 0, 0)), Image.new("RGB", size, (0, 0, 255))
    return _save(left, "MPO", save_all=True, append_images=[right])


def png_chunks(*chunks: tuple[bytes, bytes]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(_png_chunk(kind, data) for kind, data in chunks)


def png_rows(size: tuple[int, int], rows: int | None = None, *, colour: int = 2) -> bytes:
    """An RGB (or grey, ``colour=0``) PNG whose IDAT holds only ``rows`` of its rows."""
    width, height = size
    channels = 3 if colour == 2 else 1
    row = b"\x00" + bytes((x * 7) % 256 for x in range(width * channels))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return png_chunks((b"IHDR", ihdr), (b"IDAT", zlib.compress(row * (height if rows is None else rows))),
                      (b"IEND", b""))  # fmt: skip


def png_bad_crc(size: tuple[int, int] = (64, 48)) -> bytes:
    data = bytearray(png(size))
    at = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4 : at])
    data[at + 4 + length] ^= 0xFF  # the first byte of IDAT's CRC
    return bytes(data)


def png_with_icc(profile: bytes, size: tuple[int, int] = (64, 48)) -> bytes:
    """A PNG whose iCCP chunk holds ``profile`` (compressed), valid or not."""
    data = png(size)
    iccp = _png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(profile))
    return data[:33] + iccp + data[33:]  # right after IHDR (8 + 25 bytes)


def png_with_text(
    *chunks: tuple[bytes, bytes], after_data: bool = False, size: tuple[int, int] = (64, 48)
) -> bytes:
    """A PNG with text chunks, each ``(kind, body)`` as written (zTXt/iTXt bodies compressed by the
    caller), before its image data or after it (where Pillow reads them once the pixels are done)."""
    data = png(size)
    text = b"".join(_png_chunk(kind, body) for kind, body in chunks)
    at = len(data) - 12 if after_data else 33  # before IEND, or right after IHDR
    return data[:at] + text + data[at:]


def ztxt(inflated: int, method: int = 0) -> tuple[bytes, bytes]:
    """A zTXt chunk whose text inflates to ``inflated`` bytes (a few KB on disk)."""
    return (b"zTXt", b"Comment\x00" + bytes([method]) + zlib.compress(b"A" * inflated, 9))


def trns_png(colour: int = 2, size: tuple[int, int] = (64, 48)) -> bytes:
    """An RGB (``colour=2``) or grey (``colour=0``) PNG whose colour key makes its left half clear."""
    width, height = size
    if colour == 2:
        row = b"\x00" + b"\x00\xff\x00" * (width // 2) + b"\x00\x00\xff" * (width - width // 2)
        key = struct.pack(">HHH", 0, 255, 0)
    else:
        row = b"\x00" + b"\x40" * (width // 2) + b"\xc0" * (width - width // 2)
        key = struct.pack(">H", 0x40)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return png_chunks((b"IHDR", ihdr), (b"tRNS", key), (b"IDAT", zlib.compress(row * height)), (b"IEND", b""))


def gif_with_frames(
    screen: tuple[int, int], frames: list[tuple[int, int, int, int]], comment: bytes = b""
) -> bytes:
    """A GIF whose logical screen and frame rectangles (left, top, width, height) are chosen
    freely, each frame one colour (LZW of a flat frame compresses to almost nothing)."""
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80, 0, 0) + b"\x00\x00\x00\xff\x00\x00")
    if comment:
        out += b"\x21\xfe" + bytes([len(comment)]) + comment + b"\x00"
    for left, top, width, height in frames:
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 100 ms
        out += b"\x2c" + struct.pack("<HHHHB", left, top, width, height, 0)
        out += b"\x02" + _lzw_flat(width * height) + b"\x00"
    return bytes(out + b"\x3b")


def _lzw_flat(pixels: int) -> bytes:
    """LZW (minimum code size 2) of ``pixels`` copies of colour 1, as GIF sub-blocks.

    On a flat run LZW's n-th code after a clear stands for n pixels, so a 144 MP frame takes
    ~100 KB. Code widths follow the decoder's table (it grows a bit when its next free code
    reaches a power of two); a clear code restarts the table before it fills.
    """
    bits = _GifBits()
    emitted = 0  # codes since the last clear

    def width() -> int:
        return min(12, max(3, (5 + emitted).bit_length()))

    bits.put(4, 3)  # clear
    remaining = pixels
    while remaining:
        length = min(emitted + 1, remaining)
        bits.put(1 if length == 1 else 4 + length, width())  # code 6 is 2 pixels, 7 is 3, …
        remaining -= length
        emitted += 1
        if 5 + emitted >= 4000:
            bits.put(4, width())
            emitted = 0
    bits.put(5, width())  # end of information
    data = bits.flush()
    return b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255))


class _GifBits:
    def __init__(self) -> None:
        self.out, self.acc, self.count = bytearray(), 0, 0

    def put(self, value: int, length: int) -> None:
        self.acc |= value << self.count
        self.count += length
        while self.count >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.count -= 8

    def flush(self) -> bytes:
        return bytes(self.out + (bytes([self.acc]) if self.count else b""))


def webp_canvas(canvas: tuple[int, int], frames: int = 2, frame: tuple[int, int] = (16, 16)) -> bytes:
    """An animated WebP declaring ``canvas`` with ``frames`` small frames: tiny file, huge decode."""
    small = _save(Image.new("RGB", frame, (255, 0, 0)), "WEBP", lossless=True)
    bitstream = small[12:]  # the VP8L chunk of a still WebP
    chunks = b"VP8X" + struct.pack("<I", 10) + bytes([0x02, 0, 0, 0])
    chunks += (canvas[0] - 1).to_bytes(3, "little") + (canvas[1] - 1).to_bytes(3, "little")
    chunks += b"ANIM" + struct.pack("<I", 6) + b"\x00\x00\x00\x00\x00\x00"
    for _ in range(frames):
        body = (b"\x00" * 6 + (frame[0] - 1).to_bytes(3, "little") + (frame[1] - 1).to_bytes(3, "little")
                + (100).to_bytes(3, "little") + b"\x00" + bitstream)  # fmt: skip
        chunks += b"ANMF" + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) % 2)
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def jpeg_cut_and_closed(*, restart_rows: int = 0, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG truncated mid-scan with an EOI appended (libjpeg only warns, then paints grey)."""
    options = {"restart_marker_rows": restart_rows} if restart_rows else {}
    data = _save(Image.effect_noise(size, 50).convert("RGB"), "JPEG", quality=90, **options)
    return data[: len(data) // 2] + b"\xff\xd9"


def photo_like(size: tuple[int, int] = (800, 600)) -> Image.Image:
    """Gradients, shapes and fine noise (the benches' pictures too): JPEG has real work to do, so the
    file is large for its size (800×600 at quality 95: ~300 KB), unlike the flat ``marked``."""
    from PIL import ImageFilter

    base = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(40):
        x, y = (i * 7919) % size[0], (i * 104729) % size[1]
        draw.ellipse((x, y, x + size[0] // 6, y + size[1] // 6), fill=((i * 50) % 255, (i * 90) % 255, 120))
    noise = Image.effect_noise(size, 40).convert("RGB")
    return Image.blend(base.filter(ImageFilter.GaussianBlur(3)), noise, 0.15)


def photo_jpeg(size: tuple[int, int] = (800, 600), quality: int = 95) -> bytes:
    return _save(photo_like(size), "JPEG", quality=quality)


def arithmetic_jpeg(
    *, progressive: bool = False, size: tuple[int, int] = (64, 48), source: bytes | None = None
) -> bytes:
    """``marked(size)`` (or the JPEG ``source``) as an arithmetic-coded JPEG (SOF9/SOF10), re-coded
    losslessly by Debian's ``jpegtran`` (libjpeg-turbo-progs; Pillow cannot write arithmetic
    coding): the same DCT coefficients, so it decodes to exactly the pixels of its source."""
    import shutil
    import subprocess

    tool = shutil.which("jpegtran")
    if tool is None:
        raise FileNotFoundError("jpegtran (Debian: libjpeg-turbo-progs) is needed for this image")
    flags = ["-arithmetic", *(["-progressive"] if progressive else [])]
    original = source if source is not None else _save(marked(size), "JPEG", quality=95)
    done = subprocess.run([tool, *flags], input=original, capture_output=True, check=True, timeout=30)
    return done.stdout


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean structural similarity of two same-sized pictures, on luma (Wang et al. 2004, the
    7×7 uniform window scikit-image uses by default): 1.0 is identical."""
    import numpy as np

    if a.size != b.size:
        raise ValueError(f"sizes differ: {a.size} and {b.size}")
    x = np.asarray(a.convert("L"), dtype=np.float64)
    y = np.asarray(b.convert("L"), dtype=np.float64)
    window = 7

    def mean(v: np.ndarray) -> np.ndarray:  # every 7×7 window's mean, from a summed-area table
        s = np.pad(v, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
        k = window
        return (s[k:, k:] - s[:-k, k:] - s[k:, :-k] + s[:-k, :-k]) / (k * k)

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = mean(x), mean(y)
    vx, vy, cxy = mean(x * x) - mx * mx, mean(y * y) - my * my, mean(x * y) - mx * my
    n = window * window
    vx, vy, cxy = vx * n / (n - 1), vy * n / (n - 1), cxy * n / (n - 1)  # sample covariance, as skimage
    return float((((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))).mean())
