"""Hostile and unusual originals through ingest and every upload path (API multipart, direct
upload, admin) on both storages: each class either becomes a right asset or a clear refusal that
leaves nothing behind."""

from __future__ import annotations

import functools
import io
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageChops
from rest_framework.test import APIClient

from assets.analysis import read_preview
from assets.exceptions import RejectedUpload
from assets.ingest import ingest
from assets.models import Asset, Upload
from renditions import services
from renditions.pipeline import render
from renditions.specs import Spec
from tests import images
from tests.api.conftest import assert_problem
from tests.api.test_direct_uploads import send, start
from tests.conftest import StorageProbe

pytestmark = pytest.mark.django_db(transaction=True)

Maker = Callable[[], bytes]


def _jpeg_of(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def _apng(canvas: tuple[int, int], frame: tuple[int, int], declared: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", *canvas, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x10\x20\x30" * canvas[0]
    fctl = struct.pack(">IIIIIHHBB", 0, *frame, 0, 0, 1, 10, 0, 0)
    return images.png_chunks((b"IHDR", ihdr), (b"acTL", struct.pack(">II", declared, 0)), (b"fcTL", fctl),
                             (b"IDAT", __import__("zlib").compress(row * canvas[1])), (b"IEND", b""))  # fmt: skip


# (id, maker, format, displayed size, frames): valid files that must decode right.
ACCEPTED: list[tuple[str, Maker, str, tuple[int, int], int]] = [
    ("lossless-jpeg-sof3", lambda: images.lossless_jpeg((64, 48)), "JPEG", (64, 48), 1),
    ("jpeg-1x1", lambda: _jpeg_of((1, 1)), "JPEG", (1, 1), 1),
    ("jpeg-1200x6", lambda: _jpeg_of((1200, 6)), "JPEG", (1200, 6), 1),
    ("jpeg-30000x1", lambda: _jpeg_of((30000, 1)), "JPEG", (30000, 1), 1),
    ("mpo-stereo-pair", lambda: images.mpo((64, 48)), "JPEG", (64, 48), 1),
    ("jpeg-icc-without-sequence", lambda: images.insert_segment(images.jpeg(), 0xE2, b"ICC_PROFILE\x00"),
     "JPEG", (120, 80), 1),
    ("png-icc-1.5mb", lambda: images.png_with_icc(os.urandom(1_500_000)), "PNG", (64, 48), 1),
    # Text Pillow would refuse the whole image for is dropped instead: it is metadata.
    ("png-ztxt-2mb", lambda: images.png_with_text(images.ztxt(2 * 2**20)), "PNG", (64, 48), 1),
    ("png-ztxt-200mb-after-the-data", lambda: images.png_with_text(images.ztxt(200 * 2**20), after_data=True),
     "PNG", (64, 48), 1),
    ("png-ztxt-unknown-method", lambda: images.png_with_text(images.ztxt(10, method=7)), "PNG", (64, 48), 1),
    ("png-itxt-compressed-2mb", lambda: images.png_with_text(
        (b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(b"<x/>" * 2**19, 9))), "PNG", (64, 48), 1),
    ("png-80-ztxt-of-1mb", lambda: images.png_with_text(*[images.ztxt(2**20 - 64)] * 80), "PNG", (64, 48), 1),
    ("orientation-rational-6", lambda: images.rational_orientation_jpeg(6, (120, 80)), "JPEG", (120, 80), 1),
    ("png-rgb-trns", lambda: images.trns_png(2), "PNG", (64, 48), 1),
    ("png-grey-trns", lambda: images.trns_png(0), "PNG", (64, 48), 1),
    ("gif-frame-inside-screen", lambda: images.gif_with_frames((40, 30), [(0, 0, 40, 30), (5, 5, 10, 10)]),
     "GIF", (40, 30), 2),
]  # fmt: skip

# (id, maker, code): refusals, each with its stable code.
REFUSED: list[tuple[str, Maker, str]] = [
    ("jpeg-12-bit", lambda: images.with_sof(images.jpeg(), 0xC1, precision=12), "unsupported_format"),
    ("jpeg-hierarchical", lambda: images.with_sof(images.jpeg(), 0xC5), "unsupported_format"),
    ("lossless-jpeg-16-bit", lambda: images.lossless_jpeg((16, 16), precision=16), "unsupported_format"),
    ("gif-1x1-screen-12000x12000-frame", lambda: images.gif_with_frames((1, 1), [(0, 0, 1, 1), (0, 0, 12000, 12000)]),
     "too_many_pixels"),
    ("gif-frame-offset-past-the-limit", lambda: images.gif_with_frames((1, 1), [(11000, 11000, 1, 1)]), "too_many_pixels"),
    ("gif-120-frames-of-2000x2000-behind-1x1", lambda: images.gif_with_frames((1, 1), [(0, 0, 2000, 2000)] * 120),
     "too_many_pixels"),
    ("webp-7000x7000-canvas-5-frames", lambda: images.webp_canvas((7000, 7000), 5), "too_many_pixels"),
    ("webp-16000x16000-canvas", lambda: images.webp_canvas((16000, 16000), 1), "too_many_pixels"),
    ("apng-frame-outside-canvas", lambda: _apng((32, 32), (64, 64)), "corrupt_image"),
    ("apng-declares-5000-frames", lambda: _apng((32, 32), (32, 32), declared=5000), "too_many_frames"),
    ("jpeg-cut-mid-scan-closed-with-eoi-restart-markers", lambda: images.jpeg_cut_and_closed(restart_rows=1),
     "corrupt_image"),
    ("png-idat-bad-crc", lambda: images.png_bad_crc(), "corrupt_image"),
    ("png-half-the-rows", lambda: images.png_rows((64, 48), rows=24), "corrupt_image"),
    ("png-grey-half-the-rows", lambda: images.png_rows((64, 48), rows=47, colour=0), "corrupt_image"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("maker", "fmt", "size", "frames"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_valid_unusual_files_are_accepted_and_measured(
    maker: Maker, fmt: str, size: tuple[int, int], frames: int
) -> None:
    asset = ingest(io.BytesIO(maker()), filename="unusual")
    assert (asset.format, (asset.width, asset.height), asset.frame_count) == (fmt, size, frames)


@pytest.mark.parametrize(("maker", "code"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_hostile_files_are_refused_with_their_code(
    filesystem_storage: StorageProbe, maker: Maker, code: str
) -> None:
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(maker()), filename="hostile")
    assert caught.value.code == code, caught.value.message
    assert (Asset.objects.count(), filesystem_storage.names()) == (0, set())


def _needs_jpegtran() -> None:
    if shutil.which("jpegtran") is None:
        if os.environ.get("DAM_REQUIRE_SERVICES"):
            pytest.fail("jpegtran is missing (.ci/run installs libjpeg-turbo-progs)")
        pytest.skip("needs Debian's jpegtran: apt-get install libjpeg-turbo-progs")


@pytest.mark.parametrize("progressive", [False, True], ids=["sof9", "sof10"])
def test_arithmetic_coded_jpegs_are_accepted_and_render(progressive: bool) -> None:
    # given a real arithmetic-coded JPEG (decoded at full size, validated in the sandbox)
    _needs_jpegtran()
    source = images.arithmetic_jpeg(progressive=progressive, size=(640, 480))
    assert (b"\xff\xca" if progressive else b"\xff\xc9") in source[:400]
    # when
    asset = ingest(io.BytesIO(source), filename="arith.jpg")
    rendered = render(io.BytesIO(source), Spec.parse("width-64|format-png"), formats=["JPEG"])
    # then
    assert (asset.format, asset.width, asset.height) == ("JPEG", 640, 480)
    picture = Image.open(io.BytesIO(rendered.data)).convert("RGB")
    assert picture.size == (64, 48) and picture.getpixel((3, 3))[0] > 200  # the red corner


@pytest.mark.parametrize("progressive", [False, True], ids=["sof9", "sof10"])
def test_arithmetic_jpegs_over_64_kib_are_accepted_and_delivered_with_their_pixels(
    client, settings, progressive: bool
) -> None:
    """Pillow hands libjpeg a file 64 KiB at a time and libjpeg's arithmetic decoder cannot wait
    for more input: a scan crossing a read broke (``corrupt_image``). The flat picture above is
    3 KB; a photo-like one is ~175 KB, read whole by the ingest decode, the analysis and the render."""
    # given a photo-like arithmetic JPEG, and an independent decode of it (Debian's djpeg)
    _needs_jpegtran()
    settings.DAM_DELIVERY = "proxy"
    source = images.arithmetic_jpeg(progressive=progressive, source=images.photo_jpeg((800, 600)))
    assert len(source) > 2 * 65536 and (b"\xff\xca" if progressive else b"\xff\xc9") in source[:400]
    djpeg = subprocess.run(["djpeg", "-ppm"], input=source, capture_output=True, check=True, timeout=30)
    expected = Image.open(io.BytesIO(djpeg.stdout)).convert("RGB")
    # when it is ingested, analysed again from storage, and rendered at full size through delivery
    asset = ingest(io.BytesIO(source), filename="arith.jpg")
    with asset.file.open("rb") as stored:
        preview, _ = read_preview(stored)
    response = client.get(services.adhoc_url(asset, Spec.parse("format-png")))
    # then
    assert (asset.format, asset.width, asset.height) == ("JPEG", 800, 600)
    assert asset.perceptual_hash is not None and preview.size == (64, 48)
    assert response.status_code == 200, response.content
    delivered = Image.open(io.BytesIO(b"".join(response.streaming_content))).convert("RGB")
    assert delivered.size == expected.size
    worst = max(high for _, high in ImageChops.difference(delivered, expected).getextrema())
    assert worst <= 2, worst


def test_a_truncated_arithmetic_jpeg_is_still_refused() -> None:
    # given an arithmetic JPEG cut in its scan (read whole, it no longer crosses a 64 KiB read)
    _needs_jpegtran()
    source = images.arithmetic_jpeg(source=images.photo_jpeg((800, 600)))
    # when / then
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(source[: len(source) * 2 // 3]), filename="cut.jpg")
    assert caught.value.code == "corrupt_image"


def test_a_jpeg_cut_and_closed_without_restart_markers_is_not_detectable() -> None:
    """Documented in README (Not detected): without restart markers nothing but libjpeg's warning
    tells, and Pillow does not surface it. If this starts failing, the README can say so."""
    asset = ingest(io.BytesIO(images.jpeg_cut_and_closed()), filename="cut.jpg")
    assert (asset.width, asset.height) == (640, 480)


def test_pixel_limits_count_what_the_decoder_really_composes(settings) -> None:
    # given frames that each fit, but whose canvas (Pillow grows it to hold them) does not
    settings.DAM_MAX_IMAGE_PIXELS = 100 * 100
    source = images.gif_with_frames((10, 10), [(0, 0, 10, 10), (90, 90, 20, 20)])
    # when / then
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(source), filename="a.gif")
    assert caught.value.code == "too_many_pixels" and "110×110" in caught.value.message


# --- every upload path × both storages, one representative per class ----------------------------

PATH_CASES: list[tuple[str, Maker, str | tuple[int, int]]] = [
    ("lossless-jpeg", lambda: images.lossless_jpeg((64, 48)), (64, 48)),
    ("jpeg-1x1", lambda: _jpeg_of((1, 1)), (1, 1)),
    ("mpo", lambda: images.mpo((64, 48)), (64, 48)),
    ("png-icc-1.5mb", lambda: images.png_with_icc(os.urandom(1_500_000)), (64, 48)),
    ("png-ztxt-200mb-after-the-data", lambda: images.png_with_text(images.ztxt(200 * 2**20), after_data=True),
     (64, 48)),
    ("orientation-rational", lambda: images.rational_orientation_jpeg(6, (120, 80)), (120, 80)),
    ("jpeg-12-bit", lambda: images.with_sof(images.jpeg(), 0xC1, precision=12), "unsupported_format"),
    ("gif-giant-frame", lambda: images.gif_with_frames((1, 1), [(0, 0, 1, 1), (0, 0, 12000, 12000)]), "too_many_pixels"),
    ("webp-giant-canvas", lambda: images.webp_canvas((7000, 7000), 5), "too_many_pixels"),
    ("png-bad-crc", lambda: images.png_bad_crc(), "corrupt_image"),
    ("png-half-the-rows", lambda: images.png_rows((64, 48), rows=24), "corrupt_image"),
    ("png-rgb-trns", lambda: images.trns_png(2), (64, 48)),
    ("jpeg-cut-and-closed", lambda: images.jpeg_cut_and_closed(restart_rows=1), "corrupt_image"),
    ("gif-120-frames-behind-1x1", lambda: images.gif_with_frames((1, 1), [(0, 0, 2000, 2000)] * 120), "too_many_pixels"),
    ("apng-frame-outside-canvas", lambda: _apng((32, 32), (64, 64)), "corrupt_image"),
    ("heif-second-image-over-the-limit", lambda: _heif_burst(), "too_many_pixels"),
]  # fmt: skip
PATH_IDS = [c[0] for c in PATH_CASES]


def _originals(storage: StorageProbe) -> set[str]:
    return {name for name in storage.names() if name.startswith("originals/")}


def _rendition_size(api: APIClient, body: dict) -> tuple[int, int]:
    """Fetch the asset's `small` rendition through its real URL and measure it."""
    response = api.get(body["renditions"]["small"]["url"])
    assert response.status_code in (200, 302), response.content
    if response.status_code == 302:
        response = api.get(response["Location"])
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return Image.open(io.BytesIO(data)).size


@pytest.mark.parametrize(("maker", "expected"), [c[1:] for c in PATH_CASES], ids=PATH_IDS)
def test_api_multipart(api: APIClient, storage: StorageProbe, maker: Maker, expected) -> None:
    # when
    response = api.post("/api/v1/assets/", {"file": SimpleUploadedFile("x.jpg", maker())}, format="multipart")
    # then
    if isinstance(expected, str):
        assert_problem(response, 400, expected)
        assert (Asset.objects.count(), _originals(storage)) == (0, set())
        return
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["width"], body["height"]) == expected
    # the stored size and the rendition agree (one reading of the orientation everywhere)
    width, height = _rendition_size(api, body)
    assert (width >= height) == (expected[0] >= expected[1])
    assert (width, height) == (body["renditions"]["small"]["width"], body["renditions"]["small"]["height"])


@pytest.mark.parametrize(("maker", "expected"), [c[1:] for c in PATH_CASES], ids=PATH_IDS)
def test_direct_upload(api: APIClient, storage: StorageProbe, maker: Maker, expected) -> None:
    # given a file sent straight to storage
    data = maker()
    started = start(api, data)
    assert send(api, storage, started["instructions"], data) in (200, 201, 204)
    # when
    response = api.post(f"/api/v1/uploads/{started['upload']['id']}/complete/", {}, format="json")
    # then
    assert not any(name.startswith("uploads/") for name in storage.names())  # quarantine emptied
    if isinstance(expected, str):
        assert_problem(response, 400, expected)
        assert (Asset.objects.count(), _originals(storage)) == (0, set())
        assert Upload.objects.get().status == Upload.Status.REJECTED
        return
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == expected


@pytest.mark.parametrize(("maker", "expected"), [c[1:] for c in PATH_CASES], ids=PATH_IDS)
def test_admin_upload(admin_client, storage: StorageProbe, maker: Maker, expected) -> None:
    # when
    response = admin_client.post(
        reverse("admin:assets_asset_upload"), {"files": [SimpleUploadedFile("f.jpg", maker())]}
    )
    # then
    if isinstance(expected, str):
        assert response.status_code == 400
        assert b"f.jpg: " in response.content and b"Traceback" not in response.content
        assert (Asset.objects.count(), _originals(storage)) == (0, set())
        return
    assert response.status_code == 302, response.content
    asset = Asset.objects.get()
    assert (asset.width, asset.height) == expected


@functools.cache
def _heif_burst() -> bytes:
    """A HEIF whose second image (11000×11000, 121 MP) is over the default 100 MP frame limit
    (x265 takes ~14 s to encode it: made once for every path and storage)."""
    return _sequence("HEIF", [(64, 48), (11000, 11000)])


def _sequence(fmt: str, sizes: list[tuple[int, int]]) -> bytes:
    first, *rest = [Image.new("RGB", size, (200, 30, 30)) for size in sizes]
    buffer = io.BytesIO()
    first.save(buffer, fmt, save_all=True, append_images=rest, quality=60)
    return buffer.getvalue()


def test_heif_checks_each_top_level_image_against_the_frame_limit(settings) -> None:
    # given a HEIF whose second image is larger than its first, and a limit between them
    settings.DAM_MAX_IMAGE_PIXELS = 100 * 100
    source = _sequence("HEIF", [(64, 48), (160, 120)])
    # when / then
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(source), filename="burst.heic")
    assert caught.value.code == "too_many_pixels" and "160×120" in caught.value.message


@pytest.mark.parametrize("fmt", ["AVIF", "HEIF"])
def test_image_sequences_count_every_frame_against_the_total(settings, fmt: str) -> None:
    settings.DAM_MAX_TOTAL_PIXELS = 64 * 48 * 2
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(_sequence(fmt, [(64, 48)] * 3)), filename="seq")
    assert caught.value.code == "too_many_pixels"
