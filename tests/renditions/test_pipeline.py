"""The pure Pillow pipeline: upright, true colours, alpha, animation, geometry, metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageStat

from renditions.exceptions import RenderFailed
from renditions.pipeline import RenderLimits, geometry, negotiate_format, render, unmap_box
from renditions.specs import Spec
from tests import images

RED, BLUE = (255, 0, 0), (0, 0, 255)


def out(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation: int) -> None:
    # given a JPEG stored sideways/mirrored whose EXIF says how to show it
    source = images.oriented_jpeg(orientation, (120, 80))
    # when
    result = render(io.BytesIO(source), Spec.parse("width-60|format-png"))
    # then the red quadrant is top-left, like the picture the camera saw
    image = out(result.data).convert("RGB")
    assert image.size == (60, 40)
    assert near(image.getpixel((5, 5)), RED)
    assert near(image.getpixel((55, 35)), BLUE)
    assert near(image.getpixel((55, 5)), BLUE)


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_orientation_with_crop_and_rotate_uses_upright_coordinates(orientation: int) -> None:
    source = images.oriented_jpeg(orientation, (120, 80))
    result = render(io.BytesIO(source), Spec.parse("crop-0,0,60x40|format-png"))
    image = out(result.data).convert("RGB")
    assert image.size == (60, 40)
    assert near(ImageStat.Stat(image).mean, RED, 25)  # type: ignore[arg-type]
    rotated = out(render(io.BytesIO(source), Spec.parse("rotate-90|format-png")).data).convert("RGB")
    assert rotated.size == (80, 120)
    assert near(rotated.getpixel((75, 5)), RED)  # clockwise: top-left goes top-right


def test_cmyk_is_not_inverted() -> None:
    result = render(io.BytesIO(images.cmyk_jpeg((64, 48))), Spec.parse("fit-32x32"))
    image = out(result.data)
    assert image.mode == "RGB"
    assert near(image.getpixel((3, 3)), RED)
    assert near(image.getpixel((28, 20)), BLUE)


@pytest.mark.parametrize(
    ("spec", "colour"), [("format-jpeg", (255, 255, 255)), ("format-jpeg|bg-000000", (0, 0, 0))]
)
def test_alpha_is_flattened_onto_the_background_for_jpeg(spec: str, colour: tuple[int, int, int]) -> None:
    result = render(io.BytesIO(images.rgba_png(alpha=0)), Spec.parse(spec))
    image = out(result.data)
    assert image.mode == "RGB"
    assert near(image.getpixel((10, 10)), colour, 3)


def test_alpha_is_kept_for_formats_that_have_it() -> None:
    for fmt in ("png", "webp", "avif"):
        image = out(render(io.BytesIO(images.rgba_png(alpha=0)), Spec.parse(f"format-{fmt}")).data)
        assert image.mode in ("RGBA", "LA"), fmt
        assert image.getpixel((10, 10))[-1] < 10, fmt


def test_palette_with_transparency_keeps_transparency() -> None:
    image = out(
        render(io.BytesIO(images.palette_png_with_transparency()), Spec.parse("fit-32x32|format-png")).data
    )
    assert image.mode == "RGBA"


def test_sixteen_bit_scales_rather_than_clips() -> None:
    image = out(render(io.BytesIO(images.png16((64, 48))), Spec.parse("format-png")).data)
    assert image.mode == "L"
    assert 110 < image.getpixel((32, 24)) < 146  # mid-grey stays mid-grey (clipping would give 255)


@pytest.mark.parametrize(("source", "spec", "fmt", "frames"), [
    (images.animated_gif, "fit-20x20", "GIF", 3),
    (images.animated_gif, "fit-20x20|format-webp", "WEBP", 3),
    (images.animated_webp, "fill-16x16", "WEBP", 3),
    (images.animated_webp, "fit-20x20|format-gif", "GIF", 3),
    (images.animated_gif, "fit-20x20|format-jpeg", "JPEG", 1),
])  # fmt: skip
def test_animation_is_kept_where_the_format_allows(source, spec: str, fmt: str, frames: int) -> None:
    result = render(io.BytesIO(source(3)), Spec.parse(spec))
    image = out(result.data)
    assert (result.format, image.format, result.frames) == (fmt, fmt, frames)
    assert getattr(image, "n_frames", 1) == frames


def test_animation_over_the_pixel_budget_keeps_the_first_frame() -> None:
    limits = RenderLimits(max_animation_pixels=20 * 15 * 2)
    result = render(io.BytesIO(images.animated_gif(3)), Spec.parse("fit-20x20"), limits=limits)
    assert result.frames == 1


def test_output_is_within_tolerance_of_a_plain_pillow_reference() -> None:
    # given a detailed photo-like image
    source = Image.radial_gradient("L").resize((1200, 900)).convert("RGB")
    buffer = io.BytesIO()
    source.save(buffer, "JPEG", quality=95)
    # when
    ours = out(render(io.BytesIO(buffer.getvalue()), Spec.parse("width-300|format-png")).data).convert("RGB")
    reference = (
        Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").resize((300, 225), Image.Resampling.LANCZOS)
    )
    # then (draft + reducing_gap are invisible)
    assert ours.size == reference.size
    assert max(ImageStat.Stat(ImageChops.difference(ours, reference)).mean) < 2.0


GEOMETRY = [
    # (spec, upright size, output size)
    ("fit-100x100", (400, 200), (100, 50)),
    ("fit-1000x1000", (400, 200), (400, 200)),  # no upscale by default
    ("fit-1000x1000|upscale", (400, 200), (1000, 500)),
    ("fill-100x100", (400, 200), (100, 100)),
    ("fill-1000x500", (400, 200), (400, 200)),  # ratio kept, not upscaled
    ("width-100", (400, 200), (100, 50)),
    ("height-100", (400, 200), (200, 100)),
    ("pad-100x100", (400, 200), (100, 100)),
    ("crop-0,0,100x50", (400, 200), (100, 50)),
    ("crop-300,150,500x500", (400, 200), (100, 50)),  # clipped to the image
    ("rotate-90|width-100", (400, 200), (100, 200)),
    ("", (5000, 100), (4096, 82)),  # the output edge cap holds without any resize
]


@pytest.mark.parametrize(("spec", "size", "expected"), GEOMETRY)
def test_geometry(spec: str, size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert geometry(Spec.parse(spec), size, None).output_size == expected


def test_fill_centres_on_the_focal_point() -> None:
    # given an image whose left quarter is red
    image = Image.new("RGB", (400, 100), BLUE)
    image.paste(RED, (0, 0, 100, 100))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    # when a square is cut around a focal point in the red quarter, and around the centre
    left = out(render(io.BytesIO(buffer.getvalue()), Spec.parse("fill-50x50"), focal_point=(0.1, 0.5)).data)
    centre = out(render(io.BytesIO(buffer.getvalue()), Spec.parse("fill-50x50")).data)
    # then
    assert near(left.convert("RGB").getpixel((25, 25)), RED)
    assert near(centre.convert("RGB").getpixel((25, 25)), BLUE)


def test_pad_letterboxes_on_the_background() -> None:
    result = render(io.BytesIO(images.png((100, 50))), Spec.parse("pad-100x100|bg-00ff00"))
    image = out(result.data).convert("RGB")
    assert image.size == (100, 100)
    assert near(image.getpixel((50, 5)), (0, 255, 0), 3)
    assert near(image.getpixel((10, 30)), RED)


def test_filters() -> None:
    gray = out(render(io.BytesIO(images.jpeg()), Spec.parse("grayscale|format-png")).data)
    assert gray.mode == "L"
    blurred = out(render(io.BytesIO(images.png((120, 80))), Spec.parse("blur-10|format-png")).data).convert(
        "RGB"
    )
    r, _g, b = blurred.getpixel((60, 40))[:3]
    assert 40 < r < 215 and 40 < b < 215  # the red/blue edge is smeared


def test_crop_outside_the_image_fails_cleanly() -> None:
    with pytest.raises(RenderFailed) as caught:
        render(io.BytesIO(images.png((100, 50))), Spec.parse("crop-200,0,10x10"))
    assert caught.value.code == "invalid_spec"


def test_metadata_is_stripped_but_copyright_kept_and_gps_never() -> None:
    source = images.jpeg(exif={0x010F: "Canon", 0x8298: "(c) Newsroom", 0x8825: {2: (1.0, 2.0, 3.0)}})
    stripped = out(render(io.BytesIO(source), Spec.parse("width-50")).data).getexif()
    assert stripped.get(0x8298) == "(c) Newsroom"
    assert 0x010F not in stripped and 0x8825 not in stripped
    kept = out(render(io.BytesIO(source), Spec.parse("width-50|keep")).data).getexif()
    assert kept.get(0x010F) == "Canon" and 0x8825 not in kept
    assert 0x0112 not in kept  # orientation applied, tag removed


def test_icc_is_converted_and_not_carried() -> None:
    from PIL import ImageCms

    image = images.marked((64, 48))
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        quality=95,
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    result = out(render(io.BytesIO(buffer.getvalue()), Spec.parse("width-32")).data)
    assert "icc_profile" not in result.info
    assert near(result.convert("RGB").getpixel((3, 3)), RED)


@pytest.mark.parametrize(("accept", "alpha", "animated", "expected"), [
    ("image/avif,image/webp,*/*", False, False, "avif"),
    ("image/webp,*/*", False, False, "webp"),
    ("*/*", False, False, "jpeg"),
    ("*/*", True, False, "png"),
    ("image/avif,*/*", False, True, "gif"),
    ("image/avif,image/webp", False, True, "webp"),
])  # fmt: skip
def test_format_negotiation(accept: str, alpha: bool, animated: bool, expected: str) -> None:
    assert negotiate_format(accept, has_alpha=alpha, animated=animated) == expected


@pytest.mark.parametrize("orientation", range(2, 9))
def test_unmap_box_agrees_with_pillow(orientation: int) -> None:
    from renditions.pipeline import EXIF_TRANSPOSE

    # given a stored image with one marked pixel region
    stored = Image.new("L", (40, 20), 0)
    stored.paste(255, (2, 3, 7, 9))
    method = EXIF_TRANSPOSE[orientation]
    assert method is not None
    shown = stored.transpose(method)
    bbox = shown.getbbox()
    assert bbox is not None
    # when the shown box is mapped back
    back = unmap_box(tuple(float(v) for v in bbox), stored.size, [method])  # type: ignore[arg-type]
    # then it is where the pixels are stored
    assert back == (2, 3, 7, 9)


def test_draft_rounding_never_pushes_the_box_outside_the_image() -> None:
    # 1004/8 rounds up by half a pixel, 1000/8 not at all: the axes scale differently
    source = images.jpeg((1004, 1000))
    result = render(io.BytesIO(source), Spec.parse("width-50|format-png"))
    assert (result.width, result.height) == (50, 50)


@pytest.mark.parametrize("size", [(2448, 1632), (1632, 2448)])
def test_a_drafted_thumbnail_matches_a_full_decode_lanczos_reference(size: tuple[int, int]) -> None:
    # given a photo-like JPEG 6× the thumbnail: libjpeg decodes it at 1/4 (612 px), not in full
    source = images.photo_jpeg(size, quality=92)
    # when it is thumbnailed losslessly
    ours = out(render(io.BytesIO(source), Spec.parse("fit-400x400|format-png")).data).convert("RGB")
    # then it is the full-size decode resampled with Lanczos, structure for structure
    with Image.open(io.BytesIO(source)) as full:
        reference = full.convert("RGB").resize(ours.size, Image.Resampling.LANCZOS)
    assert images.ssim(ours, reference) >= 0.99
    assert images.ssim(ours, reference.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) < 0.9  # it can tell


def test_ssim_ranks_a_blurred_picture_below_a_sharp_one() -> None:
    picture = images.photo_like((300, 200))
    from PIL import ImageFilter

    assert images.ssim(picture, picture) == pytest.approx(1.0)
    slightly, badly = (picture.filter(ImageFilter.GaussianBlur(r)) for r in (0.5, 3))
    assert 1.0 > images.ssim(picture, slightly) > images.ssim(picture, badly)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
@pytest.mark.parametrize(
    ("size", "box"),
    [((40, 30), (0, 0, 701, 523)), ((33, 50), (17.5, 40.25, 650.0, 500.7)), ((300, 200), (0, 0, 701, 523))],
)
def test_a_large_frame_with_alpha_resizes_in_strips_to_pillows_pixels(monkeypatch, mode, size, box) -> None:
    from renditions import pipeline

    # given a noisy frame with alpha, and the strip threshold lowered so that it counts as large
    monkeypatch.setattr(pipeline, "STRIPPED_PIXELS", 1000)
    monkeypatch.setattr(pipeline, "STRIP_ROWS", 37)  # strips that do not divide the height
    noise = Image.effect_noise((701, 523), 80).convert("L")
    bands = [noise, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
             noise.point(lambda v: 255 if v > 140 else v // 2)]  # fmt: skip
    frame = Image.merge(mode, bands[:3] + bands[3:] if mode == "RGBA" else [bands[0], bands[3]])
    # when it is resized strip by strip, then the pixels are exactly Pillow's own resize
    ours = pipeline._resize(frame, size, box)
    theirs = frame.resize(size, pipeline.RESAMPLE, box=box, reducing_gap=pipeline.REDUCING_GAP)
    assert ours.mode == mode and ImageChops.difference(ours, theirs).getbbox() is None


def test_a_large_png_with_alpha_renders_without_a_second_full_size_copy(tmp_path) -> None:
    import subprocess
    import sys

    # given a 25 MP RGBA PNG (100 MB decoded)
    source = tmp_path / "big.png"
    Image.linear_gradient("L").resize((5000, 5000)).convert("RGBA").save(source, compress_level=1)
    script = (
        "import resource, sys; from PIL import Image; Image.MAX_IMAGE_PIXELS = None\n"
        "from renditions.pipeline import render; from renditions.specs import Spec\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"render(open({str(source)!r}, 'rb'), Spec.parse('width-400|format-webp'), formats=['PNG'])\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)"
    )
    # when it is rendered in a process of its own
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    # then the render's peak is the decoded frame and little more (118 MiB measured; Pillow alone: 200)
    assert int(done.stdout.strip()) < 130, done.stdout
