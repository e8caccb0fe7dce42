"""Replacing an asset's file, and restoring an earlier version: the asset keeps its id, title,
tags and collection; the old file is kept; rendition URLs change and the old ones redirect; the
old rendition files leave storage after the commit; the consuming app gets ``asset.updated``."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.exceptions import RejectedUpload
from assets.ingest import AssetFields, ingest
from assets.models import Asset, AssetVersion, WebhookDelivery, WebhookEndpoint
from assets.replace import replace_file, restore_version
from renditions import services
from renditions.models import Rendition, RenditionSpec
from tests import images
from tests.assets.test_admin_uploads import send
from tests.conftest import StorageProbe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def asset(storage) -> Asset:
    return ingest(io.BytesIO(images.jpeg((400, 300))), filename="first.jpg",
                  fields=AssetFields(title="Harbour", tags=["sea"]))  # fmt: skip


def thumb_of(asset: Asset) -> Rendition:
    named = RenditionSpec.objects.get(name="thumb")
    return services.get_or_generate(services.Target.build(asset, named.spec, named=named))


def test_replacing_keeps_the_asset_and_the_old_file_as_a_version(
    asset, storage: StorageProbe, admin_user
) -> None:
    # given an asset with a rendition made
    old_file, old_checksum, old_rendition = asset.file.name, asset.sha256, thumb_of(asset)
    # when a PNG of another size replaces its JPEG
    replace_file(asset.pk, io.BytesIO(images.png((640, 480))), filename="second.png", by=admin_user)
    # then the asset is the same one, now measuring the new file
    asset.refresh_from_db()
    assert (asset.title, [t.name for t in asset.tags.all()]) == ("Harbour", ["sea"])
    assert (asset.format, asset.width, asset.height, asset.original_filename) == (
        "PNG",
        640,
        480,
        "second.png",
    )
    assert asset.sha256 != old_checksum and asset.file.name != old_file
    # and the old file is a version (who, when, checksum, size), still in storage
    version = AssetVersion.objects.get()
    assert (version.file.name, version.sha256, version.format, version.replaced_by) == (
        old_file,
        old_checksum,
        "JPEG",
        admin_user,
    )
    assert version.byte_size > 0 and version.replaced_at is not None
    names = storage.names()
    assert any(n.endswith(old_file) for n in names) and any(n.endswith(asset.file.name) for n in names)
    # and the old rendition is gone, row and file
    assert not Rendition.objects.filter(pk=old_rendition.pk).exists()
    assert not any(old_rendition.storage_name in n for n in names)


@pytest.mark.parametrize(("data", "code"), [(b"", "empty_file"), (images.html(), "invalid_image"),
                                            (images.truncated_jpeg(), "corrupt_image")])  # fmt: skip
def test_a_bad_replacement_changes_nothing(asset, storage: StorageProbe, data, code) -> None:
    before, files = Asset.objects.values().get(pk=asset.pk), storage.names()
    with pytest.raises(RejectedUpload) as refused:
        replace_file(asset.pk, io.BytesIO(data), filename="bad.jpg")
    assert refused.value.code == code
    assert Asset.objects.values().get(pk=asset.pk) == before and storage.names() == files
    assert not AssetVersion.objects.exists()


def test_old_rendition_urls_redirect_to_the_new_ones(asset, client) -> None:
    # given the URL the consuming app cached
    named = RenditionSpec.objects.get(name="thumb")
    old_url = services.named_url(asset, named)
    assert client.get(old_url).status_code == 200
    # when the file is replaced
    replace_file(asset.pk, io.BytesIO(images.png((500, 500))), filename="new.png")
    asset.refresh_from_db()
    # then the old URL redirects to the new one, which serves the new file
    response = client.get(old_url)
    new_url = services.named_url(asset, named)
    assert response.status_code == 302 and response["Location"] == new_url and new_url != old_url
    assert client.get(new_url).status_code == 200


def test_replacing_sends_asset_updated_with_the_new_urls(asset) -> None:
    WebhookEndpoint.objects.create(url="https://app.example.com/hooks", secret="s", events=["asset.updated"])
    old_checksum = asset.sha256
    replace_file(asset.pk, io.BytesIO(images.png()), filename="new.png")
    asset.refresh_from_db()
    delivery = WebhookDelivery.objects.get(event="asset.updated")
    data = delivery.payload["data"]["asset"]
    assert (data["id"], data["checksum"], data["previous_checksum"]) == (
        str(asset.pk),
        asset.sha256,
        old_checksum,
    )
    assert data["renditions"]["thumb"]["url"].endswith(
        services.named_url(asset, RenditionSpec.objects.get(name="thumb"))
    )


def test_restore_swaps_the_version_back(asset, storage: StorageProbe) -> None:
    first_file, first_checksum = asset.file.name, asset.sha256
    replace_file(asset.pk, io.BytesIO(images.png()), filename="second.png")
    version = AssetVersion.objects.get()
    # when the first file is restored
    restore_version(asset.pk, version.pk)
    # then it is the original again, and the second file is the kept version
    asset.refresh_from_db()
    assert (asset.file.name, asset.sha256, asset.format) == (first_file, first_checksum, "JPEG")
    kept = AssetVersion.objects.get()
    assert (kept.original_filename, kept.format) == ("second.png", "PNG")
    assert len([n for n in storage.names() if "renditions" not in n]) == 2


def test_deleting_the_asset_deletes_its_versions_files(asset, storage: StorageProbe) -> None:
    replace_file(asset.pk, io.BytesIO(images.png()), filename="second.png")
    Asset.objects.get(pk=asset.pk).delete()
    assert storage.names() == set()


def test_prune_keeps_version_files(asset, storage: StorageProbe) -> None:
    from datetime import timedelta

    from renditions import maintenance

    replace_file(asset.pk, io.BytesIO(images.png()), filename="second.png")
    assert list(maintenance.orphan_objects(grace=timedelta(0))) == []


# --- the admin ---------------------------------------------------------------------------------------


def test_the_admin_replaces_and_restores(asset, admin_client) -> None:
    url = reverse("admin:assets_asset_replace", args=[asset.pk])
    response = admin_client.post(
        url, {"file": SimpleUploadedFile("new.png", images.png((320, 200)))}, follow=True
    )
    page = response.content.decode()
    assert "Replaced the file with new.png" in page and "Earlier versions" in page and "first.jpg" in page
    asset.refresh_from_db()
    assert asset.original_filename == "new.png"
    version = AssetVersion.objects.get()
    admin_client.post(reverse("admin:assets_asset_restore", args=[asset.pk]), {"version": version.pk})
    asset.refresh_from_db()
    assert asset.original_filename == "first.jpg"


def test_the_admin_names_a_refused_replacement(asset, admin_client) -> None:
    url = reverse("admin:assets_asset_replace", args=[asset.pk])
    page = admin_client.post(
        url, {"file": SimpleUploadedFile("evil.jpg", images.html())}, follow=True
    ).content.decode()
    assert "Not replaced: evil.jpg — The file is not an image. (invalid_image)" in page


# --- the API -------------------------------------------------------------------------------------------


def test_api_put_file_multipart(asset, api) -> None:
    response = api.put(f"/api/v1/assets/{asset.pk}/file/", {"file": SimpleUploadedFile("n.png", images.png((90, 60)))},
                       format="multipart")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["title"], body["format"], body["width"]) == (str(asset.pk), "Harbour", "PNG", 90)


def test_api_put_file_from_a_direct_upload(asset, api) -> None:
    data = images.png((70, 50))
    started = api.post("/api/v1/uploads/", {"filename": "n.png", "content_type": "image/png", "byte_size": len(data)},
                       format="json").json()  # fmt: skip
    send(api, started["instructions"], data, "n.png")  # to S3 (moto) or to this app
    response = api.put(f"/api/v1/assets/{asset.pk}/file/", {"upload": started["upload"]["id"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["width"] == 70 and Asset.objects.count() == 1
    # a retry is safe: the same answer, no second version
    again = api.put(f"/api/v1/assets/{asset.pk}/file/", {"upload": started["upload"]["id"]}, format="json")
    assert again.status_code == 200 and again.json()["checksum"] == response.json()["checksum"]
    assert asset.versions.count() == 1


def test_api_put_file_refuses_an_upload_that_made_another_asset(asset, api) -> None:
    from tests.api.conftest import assert_problem

    # given a direct upload completed into a new asset
    data = images.png((60, 40))
    started = api.post("/api/v1/uploads/", {"filename": "n.png", "content_type": "image/png", "byte_size": len(data)},
                       format="json").json()  # fmt: skip
    send(api, started["instructions"], data, "n.png")
    other = api.post(f"/api/v1/uploads/{started['upload']['id']}/complete/", {}, format="json")
    assert other.status_code == 201, other.content
    # when it is offered as the new file of another asset
    response = api.put(f"/api/v1/assets/{asset.pk}/file/", {"upload": started["upload"]["id"]}, format="json")
    # then it is refused, and that asset is unchanged
    assert_problem(response, 409, "upload_used")
    assert Asset.objects.get(pk=asset.pk).sha256 == asset.sha256 and not asset.versions.exists()


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({}, 400, "invalid"),
    ({"upload": "00000000-0000-0000-0000-000000000000"}, 404, "not_found"),
])  # fmt: skip
def test_api_put_file_refusals(asset, api, payload, status, code) -> None:
    from tests.api.conftest import assert_problem

    assert_problem(api.put(f"/api/v1/assets/{asset.pk}/file/", payload, format="json"), status, code)


def test_api_put_file_rejects_a_bad_image_with_its_code(asset, api) -> None:
    from tests.api.conftest import assert_problem

    response = api.put(f"/api/v1/assets/{asset.pk}/file/", {"file": SimpleUploadedFile("e.jpg", images.html())},
                       format="multipart")  # fmt: skip
    assert_problem(response, 400, "invalid_image")
