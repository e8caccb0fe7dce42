"""The editor's admin: multi-file upload, clear errors, search and filters, delete."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.ingest import AssetFields, ingest
from assets.models import Asset
from tests import images
from tests.conftest import StorageProbe

pytestmark = pytest.mark.django_db(transaction=True)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_add_page_is_the_upload_page(admin_client) -> None:
    response = admin_client.get(reverse("admin:assets_asset_add"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:assets_asset_upload")


def test_uploading_many_files_at_once(admin_client, storage: StorageProbe) -> None:
    # when
    response = admin_client.post(
        reverse("admin:assets_asset_upload"),
        {"files": [upload("a.jpg", images.jpeg()), upload("b.png", images.png())], "tags": "news, home"},
    )
    # then
    assert response.status_code == 302
    assert Asset.objects.count() == 2
    assert {t.name for a in Asset.objects.all() for t in a.tags.all()} == {"news", "home"}
    assert len(storage.names()) == 2
    assert all(a.uploaded_by and a.uploaded_by.username == "admin" for a in Asset.objects.all())


def test_one_bad_file_shows_its_message_and_keeps_the_good_one(admin_client, storage: StorageProbe) -> None:
    response = admin_client.post(
        reverse("admin:assets_asset_upload"),
        {"files": [upload("good.jpg", images.jpeg()), upload("evil.jpg", images.html())]},
    )
    assert response.status_code == 400
    assert b"evil.jpg: The file is not an image." in response.content
    assert b"Traceback" not in response.content
    assert Asset.objects.count() == 1 and len(storage.names()) == 1


def test_list_search_and_filters(admin_client) -> None:
    ingest(
        io.BytesIO(images.jpeg()), filename="harbour.jpg", fields=AssetFields(alt_text="boats", tags=["sea"])
    )
    ingest(io.BytesIO(images.png()), filename="logo.png", fields=AssetFields(title="Logo"))
    url = reverse("admin:assets_asset_changelist")
    assert b"harbour" in admin_client.get(url, {"q": "boats"}).content
    assert b"Logo" not in admin_client.get(url, {"q": "sea"}).content
    assert b"harbour" in admin_client.get(url, {"q": "harbour.jpg"}).content
    filtered = admin_client.get(url, {"format__exact": "PNG"})
    assert b"Logo" in filtered.content and b"harbour" not in filtered.content


def test_edit_metadata_and_focal_point(admin_client) -> None:
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    url = reverse("admin:assets_asset_change", args=[asset.pk])
    data = {
        "title": "New",
        "alt_text": "Alt",
        "caption": "",
        "credit": "",
        "copyright": "",
        "focal_x": "0.25",
        "focal_y": "",
        "collection": str(asset.collection_id),
        "tag_names": "a, b",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200 and b"Set both focal point coordinates" in response.content
    response = admin_client.post(url, {**data, "focal_y": "0.75"})
    assert response.status_code == 302
    asset.refresh_from_db()
    assert (asset.title, asset.focal_point, sorted(t.name for t in asset.tags.all())) == (
        "New",
        (0.25, 0.75),
        ["a", "b"],
    )


def test_delete_removes_the_file(admin_client, storage: StorageProbe) -> None:
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    response = admin_client.post(reverse("admin:assets_asset_delete", args=[asset.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Asset.objects.exists() and storage.names() == set()


def test_the_add_pages_ask_only_what_the_editor_decides(admin_client) -> None:
    # an API key: its name and whether it is read-only (the rest is the server's, or comes later)
    key_page = admin_client.get("/admin/assets/apikey/add/").content.decode()
    assert 'name="name"' in key_page and 'name="read_only"' in key_page
    assert 'name="revoked_at' not in key_page and "Last used" not in key_page
    # a webhook endpoint: its URL, events and state; no (empty) deliveries yet
    hook_page = admin_client.get("/admin/assets/webhookendpoint/add/").content.decode()
    assert ">URL:</label>" in hook_page and "-TOTAL_FORMS" not in hook_page  # no inline formset
    # and the direct uploads are not named like the library's "Upload images"
    index = admin_client.get("/admin/").content.decode()
    assert "Direct uploads" in index and ">Uploads<" not in index


def test_the_asset_page_names_its_two_statuses_apart(admin_client, storage: StorageProbe) -> None:
    # given an asset with no rights set yet, then one with a licence
    asset = ingest(io.BytesIO(images.jpeg()), filename="a.jpg")
    url = reverse("admin:assets_asset_change", args=[asset.pk])
    page = admin_client.get(url).content.decode()
    # then the rights' status and the processing state are told apart, and "unknown" is said
    assert ">Rights status:<" in page and ">Processing:<" in page and ">Status:<" not in page
    assert "Unknown: no licence or expiry date yet" in page
    Asset.objects.filter(pk=asset.pk).update(licence="cc_by")
    assert ">Valid<" in admin_client.get(url).content.decode()


def test_the_delete_page_says_what_leaves_storage_not_which_rows(admin_client, storage: StorageProbe) -> None:
    # given an asset with tags and a rendition made
    asset = ingest(io.BytesIO(images.jpeg((400, 300))), filename="a.jpg", fields=AssetFields(tags=["sea"]))
    from renditions import services
    from renditions.models import RenditionSpec

    thumb = RenditionSpec.objects.get(name="thumb")
    services.get_or_generate(services.Target.build(asset, thumb.spec, named=thumb))
    url = reverse("admin:assets_asset_delete", args=[asset.pk])
    # when the editor opens its Delete page
    page = admin_client.get(url).content.decode()
    # then it says what goes, in bytes, and what breaks; not Django's rows
    assert f"Delete “{asset}”?" in page
    assert "The original (" in page and "1 rendition file (" in page and "leave storage" in page
    assert "Its rendition URLs stop working" in page
    assert "Asset-tag relationship" not in page and "Asset_tags object" not in page
    # and confirming deletes it
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Asset.objects.filter(pk=asset.pk).exists()
