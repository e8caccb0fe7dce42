"""Delivery over HTTP semantics: headers, conditional requests, modes, errors, stale keys."""

from __future__ import annotations

import io
import sys
import tempfile
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from PIL import Image

from assets.ingest import ingest
from assets.models import Asset
from dam.slots import DecodeSlots
from dam.storage_config import s3_storages
from renditions import services
from renditions.models import Rendition, RenditionSpec
from renditions.signing import sign
from renditions.specs import Spec
from tests import images
from tests.conftest import S3_REGION

pytestmark = pytest.mark.django_db(transaction=True)
IMMUTABLE = "public, max-age=31536000, immutable"


def test_named_rendition_is_made_on_first_request_and_served_with_immutable_headers(
    client: Client, asset: Asset, thumb: RenditionSpec, settings, django_assert_max_num_queries
) -> None:
    # given proxy mode
    settings.DAM_DELIVERY = "proxy"
    url = services.named_url(asset, thumb)
    # when
    first = client.get(url)
    # then
    assert first.status_code == 200
    assert first["Content-Type"] == "image/webp"
    assert first["Cache-Control"] == IMMUTABLE
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Content-Security-Policy"] == "default-src 'none'"
    assert "Set-Cookie" not in first
    assert "Vary" not in first
    image = Image.open(io.BytesIO(b"".join(first.streaming_content)))
    assert (image.format, image.size) == ("WEBP", (40, 40))
    assert Rendition.objects.count() == 1
    # and a repeat is a hit: one query, no render
    with django_assert_max_num_queries(1):
        again = client.get(url)
    assert again.status_code == 200 and again["ETag"] == first["ETag"]
    assert int(again["Content-Length"]) == Rendition.objects.get().byte_size


def test_conditional_get_and_head(client: Client, asset: Asset, thumb: RenditionSpec, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    url = services.named_url(asset, thumb)
    etag = client.get(url)["ETag"]
    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified["Cache-Control"] == IMMUTABLE
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head["Content-Length"]) > 0 and head["Content-Type"] == "image/webp"
    assert client.post(url).status_code == 405


def test_redirect_mode_points_at_storage_and_the_bytes_are_there(
    client: Client, asset: Asset, thumb: RenditionSpec, settings, storage
) -> None:
    # given redirect mode on either storage
    settings.DAM_DELIVERY = "redirect"
    # when
    response = client.get(services.named_url(asset, thumb))
    # then
    assert response.status_code == 302
    assert response["Cache-Control"] == IMMUTABLE
    location = response["Location"]
    if storage.kind == "s3":
        fetched = requests.get(location, timeout=10)  # through the moto server, over HTTP
        assert fetched.status_code == 200
        data = fetched.content
        key = location.split(f"/{storage.bucket}/", 1)[1]
        assert key.startswith("renditions/")
        assert storage.client.head_object(Bucket=storage.bucket, Key=key)["ContentType"] == "image/webp"
    else:
        data = b"".join(client.get(location).streaming_content)
    assert Image.open(io.BytesIO(data)).size == (40, 40)


def test_proxy_mode_on_both_storages(
    client: Client, asset: Asset, thumb: RenditionSpec, settings, storage
) -> None:
    settings.DAM_DELIVERY = "proxy"
    response = client.get(services.named_url(asset, thumb))
    assert response.status_code == 200
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (40, 40)
    assert any(k.startswith("renditions/") for k in storage.names())


def test_format_auto_negotiates_and_varies_on_accept(client: Client, asset: Asset, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    auto = RenditionSpec.objects.create(name="auto", spec="width-60|format-auto")
    url = services.named_url(asset, auto)
    assert "." not in url.rsplit("/", 1)[1]
    avif = client.get(url, HTTP_ACCEPT="image/avif,image/webp,*/*")
    plain = client.get(url, HTTP_ACCEPT="*/*")
    assert (avif["Content-Type"], plain["Content-Type"]) == ("image/avif", "image/jpeg")
    assert avif["Vary"] == plain["Vary"] == "Accept"
    assert avif["ETag"] != plain["ETag"]
    assert Rendition.objects.count() == 2


def test_adhoc_signed_url(client: Client, asset: Asset, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    response = client.get(services.adhoc_url(asset, Spec.parse("fit-30x30|format-png|grayscale")))
    assert response.status_code == 200
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (image.format, image.size, image.mode) == ("PNG", (30, 20), "L")


@pytest.mark.parametrize("mode", ["proxy", "redirect"])
def test_an_expiring_url_is_cached_no_longer_than_it_lives(
    client: Client, asset: Asset, settings, storage, mode: str
) -> None:
    # given a signed URL that never expires and one that expires in an hour, in either mode
    settings.DAM_DELIVERY = mode
    spec = Spec.parse("fit-30x30|format-png")
    lasting = services.adhoc_url(asset, spec)
    expiring = services.adhoc_url(asset, spec, expires=int(time.time()) + 3600)
    # when each is fetched (the first renders, the second hits), and revalidated
    forever, bounded = client.get(lasting), client.get(expiring)
    revalidated = client.get(expiring, HTTP_IF_NONE_MATCH=bounded.get("ETag", "*"))
    # then the lasting answer may be kept a year; the expiring one no longer than it lives
    assert forever["Cache-Control"] == IMMUTABLE
    for response in (bounded, revalidated):
        scope, age = response["Cache-Control"].split(", max-age=")
        assert scope == "public" and 3590 <= int(age) <= 3600, response["Cache-Control"]
    assert (forever.status_code, bounded.status_code) == ((200, 200) if mode == "proxy" else (302, 302))
    assert revalidated.status_code == 304


def test_a_private_bucket_presigns_no_longer_than_the_signed_url_lives(
    client: Client, settings, s3_storage, moto_endpoint: str, s3_bucket: str
) -> None:
    # given renditions in a private bucket, delivered by presigned redirects
    settings.STORAGES = {**settings.STORAGES, **s3_storages(
        bucket=s3_bucket, endpoint_url=moto_endpoint, region=S3_REGION, renditions_public=False)}  # fmt: skip
    settings.DAM_RENDITIONS_PUBLIC, settings.DAM_DELIVERY = False, "redirect"
    asset = ingest(io.BytesIO(images.jpeg((120, 80))), filename="photo.jpg")
    spec = Spec.parse("fit-30x30|format-png")
    # when a signed URL that expires in two minutes is fetched, and one that never expires
    bounded = client.get(services.adhoc_url(asset, spec, expires=int(time.time()) + 120))
    lasting = client.get(services.adhoc_url(asset, spec))
    # then its presigned redirect lives no longer than it (the lasting one: the storage's hour)
    assert bounded.status_code == lasting.status_code == 302
    assert int(parse_qs(urlsplit(bounded["Location"]).query)["X-Amz-Expires"][0]) <= 120
    assert parse_qs(urlsplit(lasting["Location"]).query)["X-Amz-Expires"] == ["3600"]
    scope, age = bounded["Cache-Control"].split(", max-age=")
    assert scope == "private" and 110 <= int(age) <= 120
    assert requests.get(bounded["Location"], timeout=10).status_code == 200  # through moto


def test_local_rendition_files_are_served_only_in_redirect_mode(
    client: Client, thumb: RenditionSpec, settings, filesystem_storage
) -> None:
    # given a rendition on local storage, and the URL redirect mode sends clients to
    asset = ingest(io.BytesIO(images.jpeg((120, 80))), filename="photo.jpg")
    settings.DAM_DELIVERY = "redirect"
    location = client.get(services.named_url(asset, thumb))["Location"]
    assert client.get(location).status_code == 200
    # when the deployment delivers in proxy mode, then nothing is served there (only under /r/)
    settings.DAM_DELIVERY = "proxy"
    assert client.get(location).status_code == 404
    assert client.get(services.named_url(asset, thumb)).status_code == 200


def test_stale_keys_redirect_to_the_current_url(client: Client, asset: Asset, thumb: RenditionSpec) -> None:
    old = services.named_url(asset, thumb)
    assert client.get(old).status_code in (200, 302)
    # when the focal point changes, the key changes
    asset.focal_x, asset.focal_y = 0.2, 0.3
    asset.save()
    response = client.get(old)
    assert response.status_code == 302
    assert response["Location"] == services.named_url(asset, thumb) != old
    # and when the spec changes
    thumb.spec = "fill-50x50|format-webp"
    thumb.save()
    assert client.get(response["Location"])["Location"] == services.named_url(asset, thumb)


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["X-Error-Code"] == code
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.startswith(code.encode())


def test_delivery_errors(client: Client, asset: Asset, thumb: RenditionSpec, settings) -> None:
    good = services.named_url(asset, thumb)
    _error(client.get(good.replace(str(asset.id), "00000000-0000-4000-8000-000000000000")), 404, "not_found")
    _error(client.get(good.replace("/test-thumb/", "/nope/")), 404, "unknown_spec")
    _error(client.get(good.rsplit("/", 1)[0] + "/not-a-key.webp"), 400, "invalid_spec")
    keys = settings.DAM_URL_SIGNING_KEYS
    for spec in ("fit-99999x1", "fit-10x10|nope", "format-webp|fit-10x10", "|".join(["grayscale"] * 9)):
        token = sign(keys, str(asset.id), spec)
        _error(client.get(f"/r/{asset.id}/{token}/{spec}/{'0' * 20}.webp"), 400, "invalid_spec")
    adhoc = services.adhoc_url(asset, Spec.parse("fit-10x10"))
    _error(client.get(adhoc.replace("fit-10x10", "fit-10x11")), 403, "bad_signature")
    other = Asset.objects.create(
        **{f.name: getattr(asset, f.name) for f in Asset._meta.concrete_fields if f.name != "id"}
    )
    _error(client.get(adhoc.replace(str(asset.id), str(other.id))), 403, "bad_signature")
    expired = services.adhoc_url(asset, Spec.parse("fit-10x10"), expires=1_000)
    _error(client.get(expired), 403, "bad_signature")
    signed_crop = services.adhoc_url(asset, Spec.parse("crop-500,500,10x10"))
    _error(client.get(signed_crop), 400, "invalid_spec")


def test_source_missing_is_410(client: Client, asset: Asset, thumb: RenditionSpec) -> None:
    asset.file.storage.delete(asset.file.name)
    _error(client.get(services.named_url(asset, thumb)), 410, "source_missing")
    assert not Rendition.objects.exists()


def test_no_free_render_slot_is_503_with_retry_after(
    client: Client, asset: Asset, thumb: RenditionSpec, settings
) -> None:
    # given every render slot in this process is taken
    settings.DAM_RENDER_SLOTS = 1
    settings.DAM_RENDER_WAIT_SECONDS = 0.2
    slots = DecodeSlots.semaphore()
    assert slots.acquire(timeout=1)
    try:
        response = client.get(services.named_url(asset, thumb))
    finally:
        slots.release()
    _error(response, 503, "overloaded")
    assert int(response["Retry-After"]) >= 1
    assert not Rendition.objects.exists()


def test_a_lost_rendition_file_is_made_again(
    client: Client, asset: Asset, thumb: RenditionSpec, settings, caplog
) -> None:
    settings.DAM_DELIVERY = "proxy"
    url = services.named_url(asset, thumb)
    client.get(url)
    row = Rendition.objects.get()
    services.renditions_storage().delete(row.storage_name)
    with caplog.at_level("WARNING", logger="renditions.views"):
        response = client.get(url)
    # then it is made again in the same request, and the loss is logged
    assert response.status_code == 200
    assert Rendition.objects.count() == 1
    assert "missing from storage" in caplog.text


@pytest.mark.parametrize("mode", ["proxy", "redirect"])
def test_a_remembered_hit_of_a_replaced_original_is_redirected_to_the_new_url(
    client: Client, asset: Asset, thumb: RenditionSpec, settings, caplog, mode: str
) -> None:
    from assets.replace import replace_file

    # given the hit memo on, and a rendition this process has served (and remembers)
    settings.DAM_HIT_CACHE_SECONDS, settings.DAM_DELIVERY = 60, mode
    old = services.named_url(asset, thumb)
    client.get(old)
    client.get(old)
    # when the original is replaced (its renditions deleted, files and rows)
    replace_file(asset.pk, io.BytesIO(images.jpeg((90, 60))), filename="new.jpg")
    asset.refresh_from_db()
    with caplog.at_level("WARNING", logger="renditions.views"):
        response = client.get(old)
    # then the old URL is redirected to the new one at once, not served a deleted file
    assert response.status_code == 302
    assert response["Location"] == services.named_url(asset, thumb) != old
    assert "missing from storage" not in caplog.text


def test_a_hit_remembered_by_another_process_is_not_taken_for_lost_storage(
    client: Client, asset: Asset, thumb: RenditionSpec, settings, caplog
) -> None:
    # given a rendition this process remembers, whose original another process replaced: the
    # row and the file are gone, this process's memo was not told (no signal reaches it)
    settings.DAM_HIT_CACHE_SECONDS, settings.DAM_DELIVERY = 60, "proxy"
    old = services.named_url(asset, thumb)
    client.get(old)
    client.get(old)
    row = Rendition.objects.get()
    Rendition.objects.filter(pk=row.pk)._raw_delete(Rendition.objects.db)  # as another process
    services.renditions_storage().delete(row.storage_name)
    Asset.objects.filter(pk=asset.pk).update(sha256="0" * 64)
    asset.refresh_from_db()
    # when the old URL comes again
    with caplog.at_level("WARNING", logger="renditions.views"):
        response = client.get(old)
    # then it is redirected to the current URL, with no false alarm about lost storage
    assert response.status_code == 302 and response["Location"] == services.named_url(asset, thumb)
    assert "missing from storage" not in caplog.text


def test_concurrent_threads_render_once(asset: Asset, thumb: RenditionSpec, settings, caplog) -> None:
    # given 8 threads asking for the same missing rendition at once (SQLite or PostgreSQL)
    settings.DAM_DELIVERY = "proxy"
    url = services.named_url(asset, thumb)
    barrier, statuses = threading.Barrier(8), []

    def fetch() -> None:
        from django.db import connection

        barrier.wait()
        statuses.append(Client().get(url).status_code)
        connection.close()

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    with caplog.at_level("INFO", logger="renditions.services"):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # then one render, everyone served
    assert statuses == [200] * 8
    assert Rendition.objects.count() == 1
    assert sum("rendered asset=" in r.getMessage() for r in caplog.records) == 1


def test_warm_hits_are_memoised_per_process(client: Client, asset: Asset, thumb: RenditionSpec, settings,
                                            django_assert_num_queries) -> None:  # fmt: skip
    # given the hit cache on, and a generated rendition
    settings.DAM_HIT_CACHE_SECONDS = 60
    settings.DAM_DELIVERY = "redirect"
    url = services.named_url(asset, thumb)
    client.get(url)
    client.get(url)  # the first hit fills the cache
    # when / then: no query at all
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 302 and response["Cache-Control"] == IMMUTABLE


def _decoder_sources(monkeypatch) -> list[dict[str, object]]:
    """What the renderer hands the decoder, seen as it is handed (the real generator still runs)."""
    from renditions import generators

    seen: list[dict[str, object]] = []
    real = generators.generate

    def spy(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append({"name": getattr(source, "name", None), "rolled": getattr(source, "_rolled", None),
                     "type": type(source).__name__})  # fmt: skip
        return real(source, *args, **kwargs)

    monkeypatch.setattr(generators, "generate", spy)
    return seen


def test_a_local_original_is_opened_in_place_not_copied(
    client: Client, filesystem_storage, thumb: RenditionSpec, monkeypatch
) -> None:
    # given an original on the local filesystem
    from assets.ingest import ingest
    from dam.storage import originals_storage
    from tests import images

    asset = ingest(io.BytesIO(images.jpeg((120, 80))), filename="photo.jpg")
    seen = _decoder_sources(monkeypatch)
    # when its rendition is made
    assert client.get(services.named_url(asset, thumb)).status_code == 200
    # then the decoder read the storage's own file, not a copy
    assert seen == [
        {
            "name": originals_storage().path(asset.file.name),
            "rolled": None,
            "type": "BufferedReader",
        }
    ]


def test_an_s3_original_past_the_small_buffer_is_spooled_to_disk(
    client: Client, s3_storage, thumb: RenditionSpec, monkeypatch
) -> None:
    # given an original on S3 larger than the in-memory buffer
    from assets.ingest import ingest
    from tests import images

    noise = Image.merge("RGB", [Image.effect_noise((1200, 1000), 80)] * 3)
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=95)
    assert buffer.tell() > services.SPOOL_BYTES
    asset = ingest(io.BytesIO(buffer.getvalue()), filename="big.jpg")
    small = ingest(io.BytesIO(images.jpeg((120, 80))), filename="small.jpg")
    seen = _decoder_sources(monkeypatch)
    spools: list[str] = []  # every spool made from here on, by the module that made it
    real_init = tempfile.SpooledTemporaryFile.__init__

    def spool_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        spools.append(sys._getframe(1).f_globals["__name__"])  # the module that made it
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "__init__", spool_init)
    # when their renditions are made
    assert client.get(services.named_url(asset, thumb)).status_code == 200
    assert client.get(services.named_url(small, thumb)).status_code == 200
    # then the big one went to a temporary file on disk, the small one stayed in memory
    assert [(s["type"], s["rolled"]) for s in seen] == [
        ("SpooledTemporaryFile", True),
        ("SpooledTemporaryFile", False),
    ]
    # and the decoder read the very spool django-storages downloaded into: dam made none of its own
    assert "storages.backends.s3" in spools and "renditions.services" not in spools
    # and django-storages' own read buffer, which the spool is filled from, went to disk as well
    from dam.storage import originals_storage

    with originals_storage().open(asset.file.name, "rb") as remote:
        remote.read(1)
        assert remote.file._rolled, "the whole original was read into memory"


def test_a_remembered_redirect_follows_a_change_of_storage_settings(settings, filesystem_storage) -> None:
    # given a rendition's public URL remembered under one storage configuration
    from renditions.views import PublicUrls

    name = "6f1c/0123456789abcdef0123.webp"
    before = PublicUrls.of(name)
    assert before == PublicUrls.of(name) and before.endswith(name)
    # when the storage settings change (a CDN domain, another backend: here another media URL)
    settings.STORAGES = {
        **settings.STORAGES,
        "renditions": {**settings.STORAGES["renditions"],
                       "OPTIONS": {**settings.STORAGES["renditions"]["OPTIONS"], "base_url": "https://cdn.example/r/"}},
    }  # fmt: skip
    # then the same name has the new URL, not the remembered one
    assert PublicUrls.of(name) == f"https://cdn.example/r/{name}"
