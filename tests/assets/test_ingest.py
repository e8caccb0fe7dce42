"""Ingest: every upload path's one service, on the local filesystem and on S3 (moto over HTTP)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.test import override_settings

from assets.exceptions import RejectedUpload
from assets.ingest import AssetFields, ingest
from assets.models import Asset
from tests import images
from tests.conftest import StorageProbe

pytestmark = pytest.mark.django_db(transaction=True)

GOOD: list[tuple[str, Callable[[], bytes], str, tuple[int, int], int]] = [
    # (id, maker, format, displayed size, frames)
    ("jpeg", lambda: images.jpeg((120, 80)), "JPEG", (120, 80), 1),
    ("png", lambda: images.png((120, 80)), "PNG", (120, 80), 1),
    ("gif", lambda: images.gif((120, 80)), "GIF", (120, 80), 1),
    ("webp", lambda: images.webp((120, 80)), "WEBP", (120, 80), 1),
    ("avif", lambda: images.avif((64, 48)), "AVIF", (64, 48), 1),
    ("heic", lambda: images.heic((64, 48)), "HEIF", (64, 48), 1),
    ("cmyk-jpeg", lambda: images.cmyk_jpeg((64, 48)), "JPEG", (64, 48), 1),
    ("png-16bit", lambda: images.png16((64, 48)), "PNG", (64, 48), 1),
    ("palette-transparency", lambda: images.palette_png_with_transparency(), "PNG", (64, 48), 1),
    ("animated-gif", lambda: images.animated_gif(3), "GIF", (40, 30), 3),
    ("animated-webp", lambda: images.animated_webp(4), "WEBP", (40, 30), 4),
    *[
        (f"orientation-{o}", (lambda o=o: images.oriented_jpeg(o, (120, 80))), "JPEG", (120, 80), 1)
        for o in range(1, 9)
    ],
]


@pytest.mark.parametrize(("maker", "fmt", "size", "frames"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_good_inputs_are_measured_by_content(
    filesystem_storage: StorageProbe, maker: Callable[[], bytes], fmt: str, size: tuple[int, int], frames: int
) -> None:
    # given a valid image under a misleading name
    data = maker()
    # when
    asset = ingest(io.BytesIO(data), filename="misleading-name.txt")
    # then
    asset.refresh_from_db()
    assert (asset.format, (asset.width, asset.height), asset.frame_count) == (fmt, size, frames)
    assert asset.byte_size == len(data)
    assert asset.content_type.startswith("image/")
    assert filesystem_storage.read(f"originals/{asset.file.name}") == data


def test_measures_alpha_icc_and_exif_subset_without_gps() -> None:
    data = images.jpeg(
        exif={0x010F: "Canon", 0x0110: "EOS R5", 0x8298: "(c) Newsroom", 0x8825: {2: (1.0, 2.0, 3.0)}}
    )
    asset = ingest(io.BytesIO(data), filename="photo.jpg")
    assert asset.exif == {"camera_make": "Canon", "camera_model": "EOS R5", "copyright": "(c) Newsroom"}
    assert asset.copyright == "(c) Newsroom"
    assert not asset.has_alpha
    alpha = ingest(io.BytesIO(images.rgba_png(alpha=128)), filename="a.png")
    assert alpha.has_alpha and alpha.mode == "RGBA"


def test_stores_on_both_storages_under_the_originals_prefix_with_distinct_keys(storage: StorageProbe) -> None:
    # given the same file uploaded twice
    data = images.jpeg()
    # when
    first = ingest(io.BytesIO(data), filename="same.jpg", fields=AssetFields(tags=["News", "news "]))
    second = ingest(io.BytesIO(data), filename="same.jpg")
    # then two assets, two keys, both under the originals prefix, same checksum
    keys = storage.names()
    assert keys == {f"originals/{first.file.name}", f"originals/{second.file.name}"}
    assert first.file.name != second.file.name
    assert first.sha256 == second.sha256
    assert [t.name for t in first.tags.all()] == ["news"]
    assert storage.read(f"originals/{first.file.name}") == data


def test_path_traversal_filename_is_only_a_display_name(storage: StorageProbe) -> None:
    asset = ingest(io.BytesIO(images.png()), filename="../../../etc/passwd\x00.png")
    assert asset.original_filename == "passwd.png"
    assert ".." not in asset.file.name and "passwd" not in asset.file.name
    assert storage.names() == {f"originals/{asset.file.name}"}


BAD: list[tuple[str, Callable[[], bytes], str, str]] = [
    # (id, maker, client filename, code)
    ("zero-bytes", lambda: b"", "empty.jpg", "empty_file"),
    ("header-bomb-100000x100000", lambda: images.png_header_bomb(), "bomb.png", "too_many_pixels"),
    ("truncated-jpeg", lambda: images.truncated_jpeg(), "cut.jpg", "corrupt_image"),
    ("html-named-jpg", lambda: images.html(), "photo.jpg", "invalid_image"),
    ("svg", lambda: images.svg(), "logo.svg", "unsupported_format"),
    ("tiff", lambda: images.tiff(), "scan.jpg", "unsupported_format"),
    ("bmp", lambda: images.bmp(), "old.bmp", "unsupported_format"),
    ("plain-text", lambda: b"hello world, not an image", "notes.png", "invalid_image"),
    ("path-traversal-html", lambda: images.html(), "../../../../tmp/x.jpg", "invalid_image"),
    ("jpeg-magic-garbage", lambda: b"\xff\xd8\xff" + b"\x00" * 200, "x.jpg", "corrupt_image"),
]


@pytest.mark.parametrize(("maker", "filename", "code"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs_are_rejected_and_leave_nothing(
    storage: StorageProbe, maker: Callable[[], bytes], filename: str, code: str
) -> None:
    # given
    before = storage.names()
    # when
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(maker()), filename=filename)
    # then
    assert caught.value.code == code, caught.value.message
    assert Asset.objects.count() == 0
    assert storage.names() == before


def test_over_the_byte_cap_is_rejected(storage: StorageProbe, settings) -> None:
    data = images.jpeg((200, 200))
    settings.DAM_MAX_UPLOAD_BYTES = len(data) - 1
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(data), filename="big.jpg")
    assert caught.value.code == "file_too_large"
    assert (Asset.objects.count(), storage.names()) == (0, set())


def test_pixel_cap_message_names_size_and_limit(settings) -> None:
    settings.DAM_MAX_IMAGE_PIXELS = 100 * 79
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(images.png((100, 80))), filename="p.png")
    assert caught.value.code == "too_many_pixels"
    assert "100×80" in caught.value.message and f"{settings.DAM_MAX_IMAGE_PIXELS:,}" in caught.value.message


def test_frame_cap(settings) -> None:
    settings.DAM_MAX_FRAMES = 3
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(images.animated_gif(5)), filename="a.gif")
    assert caught.value.code == "too_many_frames"
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(images.animated_webp(5)), filename="a.webp")
    assert caught.value.code == "too_many_frames"


def test_total_pixel_cap_counts_frames(settings) -> None:
    settings.DAM_MAX_TOTAL_PIXELS = 40 * 30 * 2
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(images.animated_gif(3, (40, 30))), filename="a.gif")
    assert caught.value.code == "too_many_pixels"


@override_settings(DAM_ALLOWED_FORMATS=["JPEG"])
def test_allow_list_is_a_setting() -> None:
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(images.png()), filename="p.png")
    assert caught.value.code == "unsupported_format"


def test_database_failure_removes_the_stored_object(storage: StorageProbe, monkeypatch) -> None:
    # given a row insert that fails after the object was stored
    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Asset, "save", explode)
    # when
    with pytest.raises(RuntimeError):
        ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    # then
    assert storage.names() == set()


def test_a_failure_after_the_commit_keeps_the_row_and_its_original(
    storage: StorageProbe, monkeypatch
) -> None:
    # given an after-commit hook that fails (the webhook outbox's database gone, say)
    from assets import ingest as ingest_module

    def explode(asset: Asset) -> None:
        raise RuntimeError("after the commit")

    monkeypatch.setattr(ingest_module, "after_ingest", [explode])
    # when
    with pytest.raises(RuntimeError):
        ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    # then the committed asset keeps its file
    (asset,) = Asset.objects.all()
    (name,) = storage.names()
    assert name.endswith(asset.file.name)


def test_an_upload_costs_three_statements_when_nothing_more_goes_with_it(django_assert_num_queries) -> None:
    """The collection and the eager question in one query, the webhook endpoints once (for
    ``asset.created`` and ``asset.ready``), and one INSERT: no BEGIN/COMMIT around a lone row."""
    ingest(io.BytesIO(images.jpeg()), filename="first.jpg")  # the library's root is made once
    with django_assert_num_queries(3) as captured:
        ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements == ["SELECT", "SELECT", "INSERT"], statements


def test_a_listener_and_tags_still_commit_with_the_row(monkeypatch) -> None:
    # given a listener for asset.created
    from django.db import transaction

    from assets.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.create(url="https://hooks.example/x", secret="s" * 32, events=["asset.created"])
    monkeypatch.setattr(transaction, "on_commit", lambda *args, **kwargs: None)  # no send attempted
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg", fields=AssetFields(tags=["sea"]))
    assert [t.name for t in asset.tags.all()] == ["sea"]
    assert WebhookDelivery.objects.filter(event="asset.created").count() == 1

    def fail(asset: Asset) -> dict[str, object]:
        raise RuntimeError("describing the asset")

    from assets import outbox

    monkeypatch.setattr(outbox, "describe_asset", fail)
    # when the announcement fails after the row went in, then neither the row nor its tags stay
    with pytest.raises(RuntimeError):
        ingest(io.BytesIO(images.jpeg()), filename="y.jpg", fields=AssetFields(tags=["sea"]))
    assert Asset.objects.count() == 1
    assert Asset.tags.through.objects.count() == 1


def test_deleting_an_asset_removes_the_original_after_commit(storage: StorageProbe) -> None:
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    assert storage.names()
    asset.delete()
    assert storage.names() == set()


@pytest.mark.parametrize("load", [
    lambda q: q,  # every query defers search_document
    lambda q: q.defer("caption", "exif"),
    lambda q: q.only("title", "rights_expire_on"),
])  # fmt: skip
def test_a_partial_row_loads_each_field_into_its_own_attribute(filesystem_storage, load) -> None:
    # given an asset whose fields all differ
    from datetime import date

    fields = AssetFields(title="T", caption="C", credit="R", rights_expire_on=date(2030, 1, 2))
    made = ingest(io.BytesIO(images.jpeg((120, 80))), filename="p.jpg", fields=fields)
    # when it is read with some columns deferred
    asset = load(Asset.objects.all()).get(pk=made.pk)
    # then every field, loaded now or later, holds its own value
    expected = Asset.objects.values().get(pk=made.pk)
    expected.pop("search_document")
    assert {name: getattr(asset, name) for name in expected} == expected
    assert asset._loaded_expiry == date(2030, 1, 2)  # the rights-expiry bookkeeping saw the row


def test_a_large_decode_waits_for_a_slot_and_a_photo_does_not(api, storage: StorageProbe, settings) -> None:
    from dam.slots import DecodeSlots

    # given every slot for heavy decodes taken (a render of a huge image, say), and two uploads:
    # a small PNG that decodes to 80 MB, and an ordinary photo
    settings.DAM_RENDER_SLOTS, settings.DAM_RENDER_WAIT_SECONDS = 1, 0.2
    heavy = images.png((5000, 4000), mode="RGBA")
    assert len(heavy) < 2_000_000
    slots = DecodeSlots.semaphore()
    assert slots.acquire(timeout=1)
    try:
        # when both are sent while the slot is held
        refused = api.post("/api/v1/assets/", {"file": io.BytesIO(heavy)}, format="multipart")
        photo = api.post(
            "/api/v1/assets/", {"file": io.BytesIO(images.jpeg((4000, 3000)))}, format="multipart"
        )
    finally:
        slots.release()
    # then the large one is told to come back (503 overloaded, Retry-After), nothing stored;
    # the photo (validated at 1/8 scale) went through
    assert refused.status_code == 503 and refused.json()["code"] == "overloaded", refused.content
    assert int(refused["Retry-After"]) >= 1
    assert photo.status_code == 201
    assert Asset.objects.count() == 1 and len([n for n in storage.names() if n.startswith("originals/")]) == 1
    # and once the slot is free, the same upload is accepted
    again = api.post("/api/v1/assets/", {"file": io.BytesIO(heavy)}, format="multipart")
    assert again.status_code == 201, again.content
