"""The pure pipeline on unusual and hostile originals: no crash, right pixels, no leaked metadata."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageChops, ImageStat

from renditions.pipeline import MAX_EXIF_BYTES, render
from renditions.specs import Spec
from tests import images

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


def out(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def near(pixel: tuple[int, ...] | float, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def fmt_of(data: bytes) -> str:
    return "PNG" if data.startswith(b"\x89PNG") else "GIF" if data.startswith(b"GIF") else "JPEG"


def test_scaled_decode_of_a_lossless_jpeg_crashes_pillow_itself() -> None:
    """Why the pipeline checks the JPEG process before ``draft``: outside dam, Pillow's
    open → draft → load of an 8-bit lossless JPEG kills the process (libjpeg-turbo's heap)."""
    # given a real lossless JPEG, decoded scaled in a separate interpreter
    code = (
        "import io, sys; from PIL import Image; im = Image.open(io.BytesIO(sys.stdin.buffer.read()));"
        "im.draft(im.mode, (im.width // 8, im.height // 8));\ntry: im.load()\nexcept OSError: pass"
    )
    # when
    done = subprocess.run([sys.executable, "-c", code], input=images.lossless_jpeg((640, 480)),
                          capture_output=True, timeout=60)  # fmt: skip
    # then it died of a signal: if libjpeg-turbo ever fixes this, this test says so
    assert done.returncode < 0, done


@pytest.mark.parametrize("spec", ["width-40|format-png", "fill-20x20|format-webp", "fit-300x300|format-jpeg"])
def test_lossless_jpeg_renders_unscaled_and_right(spec: str) -> None:
    # given a lossless JPEG big enough that a thumbnail would use draft
    source = images.lossless_jpeg((320, 240))
    # when (in this process: a crash here would kill pytest)
    result = render(io.BytesIO(source), Spec.parse(spec), formats=["JPEG"])
    # then the picture is right: bright top-left (red in grey), darker elsewhere
    image = out(result.data).convert("L")
    assert image.getpixel((2, 2)) > image.getpixel((image.width - 3, image.height - 3))  # type: ignore[operator]


@pytest.mark.skipif(shutil.which("jpegtran") is None, reason="needs Debian's jpegtran (libjpeg-turbo-progs)")
@pytest.mark.parametrize("progressive", [False, True], ids=["sof9", "sof10"])
def test_an_arithmetic_jpeg_over_64_kib_renders_like_its_huffman_twin(progressive: bool) -> None:
    # given a ~175 KB arithmetic JPEG (its decoder cannot suspend between Pillow's 64 KiB reads)
    # and the Huffman JPEG it was losslessly re-coded from
    huffman = images.photo_jpeg((800, 600))
    source = images.arithmetic_jpeg(progressive=progressive, source=huffman)
    assert len(source) > 2 * 65536
    # when both are thumbnailed (the Huffman one via draft, the arithmetic one from full size)
    spec = Spec.parse("width-200|format-png")
    got, twin = (out(render(io.BytesIO(data), spec, formats=["JPEG"]).data).convert("RGB")
                 for data in (source, huffman))  # fmt: skip
    # then they are the same picture
    assert got.size == twin.size == (200, 150)
    mean = sum(ImageStat.Stat(ImageChops.difference(got, twin)).mean) / 3
    assert mean < 2.0, mean


def test_the_readme_bounds_are_the_ones_the_bench_holds() -> None:
    """README's worst-case table is what an operator sizes a worker from; ``make bench`` measures
    each class against a bound (bench/limits.py, OVER when exceeded). Every measured class has
    its README row, with that same bound, and the table has no row the bench does not measure."""
    from bench import limits

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Worst case per request at the default limits")[1].split("\n#")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| worst")]
    for case in limits.CASES:
        cells = next((row.split(" | ") for row in rows if row.startswith(f"| {case.row}")), None)
        assert cells is not None, f"no README row for {case.name}"
        assert cells[1].startswith(f"{case.memory_bound_mib:,} MiB (measured "), (case.name, cells[1])
        assert cells[2].startswith(f"{case.time_bound_s:g} s (measured "), (case.name, cells[2])
    assert len(rows) == len(limits.CASES)


TINY = [(1, 1), (1200, 6), (6, 1200), (3000, 1), (7, 7)]


@pytest.mark.parametrize("size", TINY, ids=[f"{w}x{h}" for w, h in TINY])
def test_jpegs_with_an_edge_under_8px_render(size: tuple[int, int]) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", size, RED).save(buffer, "JPEG")
    result = render(io.BytesIO(buffer.getvalue()), Spec.parse("width-100|format-png"), formats=["JPEG"])
    image = out(result.data).convert("RGB")
    assert image.width == min(100, size[0])
    assert near(image.getpixel((0, 0)), RED)


def test_mpo_renders_its_first_image_only() -> None:
    result = render(io.BytesIO(images.mpo()), Spec.parse("format-webp"), formats=["JPEG"])
    image = out(result.data)
    assert result.frames == 1 and getattr(image, "n_frames", 1) == 1
    assert near(image.convert("RGB").getpixel((5, 5)), RED)


BROKEN_ICC: list[tuple[str, Callable[[], bytes]]] = [
    ("jpeg-icc-without-sequence", lambda: images.insert_segment(images.jpeg(), 0xE2, b"ICC_PROFILE\x00")),
    ("jpeg-icc-garbage", lambda: images.insert_segment(images.jpeg(), 0xE2, b"ICC_PROFILE\x00\x01\x01junk")),
    ("png-icc-1.5mb", lambda: images.png_with_icc(os.urandom(1_500_000))),
    ("png-icc-garbage", lambda: images.png_with_icc(b"not a profile")),
]


@pytest.mark.parametrize("maker", [b[1] for b in BROKEN_ICC], ids=[b[0] for b in BROKEN_ICC])
def test_an_unusable_icc_profile_is_read_as_srgb(maker: Callable[[], bytes]) -> None:
    data = maker()
    result = render(io.BytesIO(data), Spec.parse("width-60|format-png"), formats=[fmt_of(data)])
    image = out(result.data).convert("RGB")
    assert "icc_profile" not in out(result.data).info
    assert near(image.getpixel((3, 3)), RED)
    assert near(image.getpixel((55, 35)), BLUE)


@pytest.mark.parametrize("after_data", [False, True], ids=["before-the-data", "after-the-data"])
def test_text_pillow_would_refuse_is_dropped_not_the_render(after_data: bool) -> None:
    # given a PNG whose text chunk inflates to 200 MB, before or after its pixels
    data = images.png_with_text(images.ztxt(200 * 2**20), after_data=after_data)
    # when it is rendered, then the pixels come out (Pillow alone refuses the file)
    result = render(io.BytesIO(data), Spec.parse("width-60|format-png"), formats=["PNG"])
    assert near(out(result.data).convert("RGB").getpixel((3, 3)), RED)


def test_orientation_of_the_wrong_type_is_ignored_as_browsers_do() -> None:
    # given orientation 6 stored as RATIONAL 6/1 (browsers show it unrotated)
    source = images.rational_orientation_jpeg(6, (120, 80))
    # when
    result = render(io.BytesIO(source), Spec.parse("width-60|format-png"), formats=["JPEG"])
    # then unrotated, like the stored size ingest measures (tests/assets/test_hostile_ingest.py)
    assert (result.width, result.height) == (60, 40)
    assert near(out(result.data).convert("RGB").getpixel((3, 3)), RED)


@pytest.mark.parametrize("colour", [2, 0], ids=["rgb-trns", "grey-trns"])
@pytest.mark.parametrize(
    ("spec", "background"), [("format-jpeg", (255, 255, 255)), ("format-jpeg|bg-ff0000", RED)]
)
def test_a_trns_colour_key_is_flattened_onto_the_background(
    colour: int, spec: str, background: tuple[int, int, int]
) -> None:
    # given an RGB or grey PNG whose tRNS colour key makes the left half transparent
    source = images.trns_png(colour, (64, 48))
    # when
    image = out(render(io.BytesIO(source), Spec.parse(spec), formats=["PNG"]).data).convert("RGB")
    # then the clear half shows the background, the other half its own colour
    assert near(image.getpixel((5, 20)), background, 8)
    assert not near(image.getpixel((58, 20)), background, 8)


def test_a_trns_colour_key_stays_transparent_in_png() -> None:
    image = out(render(io.BytesIO(images.trns_png()), Spec.parse("format-png"), formats=["PNG"]).data)
    assert image.mode == "RGBA"
    assert image.getpixel((5, 20))[3] == 0 and image.getpixel((58, 20))[3] == 255  # type: ignore[index]


def _huge_exif() -> bytes:
    """A 64 KB EXIF block of thousands of small entries, as some camera software writes."""
    entries = [(0xC000 + i, 3, 1, struct.pack("<H", i)) for i in range(5000)]
    return images.exif_block(entries)


WRONG_TYPES = images.exif_block([
    (ExifTags.Base.Copyright, 5, 1, struct.pack("<II", 1, 3)),  # RATIONAL where ASCII belongs
    (ExifTags.Base.Artist, 3, 1, struct.pack("<H", 7)),  # SHORT where ASCII belongs
    (ExifTags.Base.Model, 5, 1, struct.pack("<II", 2, 3)),
    (ExifTags.Base.Make, 2, 6, b"Canon\x00"),  # a good one, kept
])  # fmt: skip


@pytest.mark.parametrize("metadata", ["", "|keep"])
@pytest.mark.parametrize("fmt", ["jpeg", "webp", "png", "avif"])
@pytest.mark.parametrize("exif", [_huge_exif(), WRONG_TYPES], ids=["5000-entries", "wrong-types"])
def test_metadata_never_fails_a_render(exif: bytes, fmt: str, metadata: str) -> None:
    source = images.jpeg_with_exif(exif)
    result = render(io.BytesIO(source), Spec.parse(f"width-40|format-{fmt}{metadata}"), formats=["JPEG"])
    kept = out(result.data).getexif()
    assert len(kept.tobytes()) <= MAX_EXIF_BYTES
    assert ExifTags.Base.Copyright not in kept or isinstance(kept[ExifTags.Base.Copyright], str)


def test_keep_keeps_the_writable_tags_of_a_partly_broken_block() -> None:
    source = images.jpeg_with_exif(WRONG_TYPES)
    kept = out(render(io.BytesIO(source), Spec.parse("width-40|keep"), formats=["JPEG"]).data).getexif()
    assert kept.get(ExifTags.Base.Make) == "Canon"


_XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><script>x</script></rdf:RDF></x:xmpmeta>'
COMMENTED: list[tuple[str, Callable[[], bytes], str]] = [
    ("gif-comment", lambda: images.gif_with_frames((40, 30), [(0, 0, 40, 30)], comment=b"<script>x</script>"), "GIF"),
    ("jpeg-com", lambda: _save_with(Image.new("RGB", (40, 30), RED), "JPEG", comment=b"<script>x</script>"), "JPEG"),
    ("png-text", lambda: _png_with_text(), "PNG"),
    ("jpeg-xmp", lambda: _save_with(Image.new("RGB", (40, 30), RED), "JPEG", xmp=_XMP), "JPEG"),
    ("webp-xmp", lambda: _save_with(Image.new("RGB", (40, 30), RED), "WEBP", xmp=_XMP), "WEBP"),
]  # fmt: skip


def _save_with(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_with_text() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>x</script>")  # tEXt
    info.add_text("Description", "<script>x</script>", zip=True)  # zTXt
    info.add_itxt("Title", "<script>x</script>")  # iTXt
    return _save_with(Image.new("RGB", (40, 30), RED), "PNG", pnginfo=info)


@pytest.mark.parametrize("metadata", ["", "|keep"], ids=["strip", "keep"])
@pytest.mark.parametrize(
    "target", ["", "|format-jpeg", "|format-png", "|format-gif", "|format-webp", "|format-avif"]
)
@pytest.mark.parametrize(
    ("maker", "source_format"), [c[1:] for c in COMMENTED], ids=[c[0] for c in COMMENTED]
)
def test_comments_and_text_chunks_never_reach_a_rendition(
    maker: Callable[[], bytes], source_format: str, target: str, metadata: str
) -> None:
    result = render(io.BytesIO(maker()), Spec.parse(f"width-20{target}{metadata}"), formats=[source_format])
    assert b"<script>" not in result.data
    assert not {"comment", "Comment", "Description", "Title", "xmp"} & set(out(result.data).info)


def test_an_animation_is_rendered_frame_by_frame_at_the_output_size() -> None:
    # given a GIF whose second frame overflows its 1×1 screen (Pillow grows the canvas)
    source = images.gif_with_frames((200, 200), [(0, 0, 200, 200), (0, 0, 400, 400), (0, 0, 200, 200)])
    # when
    result = render(io.BytesIO(source), Spec.parse("fit-50x50|format-webp"), formats=["GIF"])
    # then every frame has the output size
    image = out(result.data)
    assert result.frames == 3 and image.size == (50, 50)


@pytest.mark.parametrize(("source", "spec"), [
    (lambda: images.animated_gif(3), "format-webp"), (lambda: images.animated_webp(3), "format-gif"),
    (lambda: images.animated_webp(3), "format-webp"),
])  # fmt: skip
def test_frames_at_the_source_size_stay_distinct(source: Callable[[], bytes], spec: str) -> None:
    # given an animation rendered without a resize (each frame is the decoder's own canvas)
    result = render(io.BytesIO(source()), Spec.parse(spec))
    # then each output frame keeps its own colour (red, green, blue)
    image = out(result.data)
    colours = []
    for index in range(3):
        image.seek(index)
        colours.append(image.convert("RGB").getpixel((5, 5)))
    assert near(colours[0], RED) and near(colours[1], GREEN) and near(colours[2], BLUE), colours
