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
