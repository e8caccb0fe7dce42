"""The upload page's JSON flow (check → start → send → complete), on local storage and on S3, and
the no-JavaScript form's per-file refusals."""

from __future__ import annotations

import hashlib
import io

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.ingest import ingest
from assets.models import Asset, Collection
from tests import images
from tests.conftest import StorageProbe

pytestmark = pytest.mark.django_db(transaction=True)


def start(client, name: str, data: bytes) -> dict:
    response = client.post(
        reverse("admin:assets_asset_upload_start"),
        {"filename": name, "content_type": "image/jpeg", "byte_size": len(data)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def send(client, instructions: dict, data: bytes, name: str) -> None:
    """What the browser does with the instructions: a multipart POST, to S3 or to this app."""
    fields = dict(instructions["fields"])
    if instructions["url"].startswith("http://testserver"):
        path = instructions["url"].removeprefix("http://testserver")
        response = client.post(path, {**fields, "file": SimpleUploadedFile(name, data)})
    else:
        response = requests.post(instructions["url"], data=fields, files={"file": (name, data)}, timeout=10)
    assert response.status_code in (200, 201, 204), response.content


def complete(client, upload_id: str, **fields: str):
    url = reverse("admin:assets_asset_upload_complete", args=[upload_id])
    return client.post(url, fields, content_type="application/json")


def test_one_file_through_the_direct_upload_flow(admin_client, storage: StorageProbe) -> None:
    # given
    data = images.jpeg((640, 480))
    news = Collection.objects.add_child(Collection.default(), create_kwargs={"name": "News"})
    # when the browser starts, sends and completes
    started = start(admin_client, "harbour.jpg", data)
    send(admin_client, started["instructions"], data, "harbour.jpg")
    response = complete(
        admin_client, started["upload"], tags="sea, news", credit="AP", collection=str(news.pk)
    )
    # then the asset exists with the shared fields, and the answer links to it
    assert response.status_code == 201, response.content
    body = response.json()
    asset = Asset.objects.get()
    assert body["asset"] == {"id": str(asset.pk), "title": "harbour",
                             "url": reverse("admin:assets_asset_change", args=[asset.pk])}  # fmt: skip
    assert body["duplicate"] is None
    assert (asset.credit, asset.collection, sorted(t.name for t in asset.tags.all())) == (
        "AP",
        news,
        ["news", "sea"],
    )
    assert asset.uploaded_by is not None and asset.uploaded_by.username == "admin"
    assert [n for n in storage.names() if "uploads/" in n] == []  # the quarantine is emptied


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (images.html(), "invalid_image"),
        (images.truncated_jpeg(), "corrupt_image"),
        (images.tiff(), "unsupported_format"),
    ],
)
def test_the_server_refuses_what_the_browser_let_through(
    admin_client, storage: StorageProbe, data, code
) -> None:
    started = start(admin_client, "x.jpg", data)
    send(admin_client, started["instructions"], data, "x.jpg")
    response = complete(admin_client, started["upload"])
    assert response.status_code == 400 and response.json()["code"] == code
    assert response.json()["message"]
    assert not Asset.objects.exists()
    assert not [n for n in storage.names() if "originals/" in n]


@pytest.mark.parametrize(("size", "code"), [(0, "empty_file"), (10**12, "file_too_large")])
def test_start_refuses_sizes(admin_client, size, code) -> None:
    response = admin_client.post(
        reverse("admin:assets_asset_upload_start"),
        {"filename": "x.jpg", "content_type": "image/jpeg", "byte_size": size},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == code


def test_complete_before_the_bytes_arrive_is_409(admin_client) -> None:
    started = start(admin_client, "x.jpg", images.jpeg())
    response = complete(admin_client, started["upload"])
    assert response.status_code == 409 and response.json()["code"] == "upload_incomplete"


def test_the_duplicate_check_names_the_existing_asset(admin_client) -> None:
    # given
    data = images.jpeg()
    existing = ingest(io.BytesIO(data), filename="first.jpg")
    url = reverse("admin:assets_asset_upload_check")
    # when / then
    found = admin_client.get(url, {"checksum": hashlib.sha256(data).hexdigest()}).json()
    assert found["duplicate"]["id"] == str(existing.pk) and found["duplicate"]["title"] == "first"
    assert admin_client.get(url, {"checksum": "0" * 64}).json() == {"duplicate": None}
    assert admin_client.get(url, {"checksum": "nope"}).status_code == 400


def test_keeping_a_duplicate_says_so(admin_client) -> None:
    data = images.jpeg()
    first = ingest(io.BytesIO(data), filename="first.jpg")
    started = start(admin_client, "again.jpg", data)
    send(admin_client, started["instructions"], data, "again.jpg")
    body = complete(admin_client, started["upload"]).json()
    assert body["duplicate"]["id"] == str(first.pk)
    assert Asset.objects.count() == 2


def test_editors_without_the_add_permission_are_refused(client, django_user_model) -> None:
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_asset"))
    client.force_login(user)
    response = client.get(reverse("admin:assets_asset_upload_check"), {"checksum": "0" * 64})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_without_javascript_an_empty_file_is_refused_by_name_and_the_others_kept(admin_client) -> None:
    # when one empty file is in a batch of three
    response = admin_client.post(
        reverse("admin:assets_asset_upload"),
        {"files": [SimpleUploadedFile("a.jpg", images.jpeg()), SimpleUploadedFile("empty.jpg", b""),
                   SimpleUploadedFile("b.png", images.png())]},
    )  # fmt: skip
    # then the two others are in, and the empty one is named with its code
    assert response.status_code == 400
    assert "empty.jpg: The file is empty. (empty_file)" in response.content.decode()
    assert Asset.objects.count() == 2


def test_without_javascript_a_duplicate_is_kept_with_a_warning(admin_client) -> None:
    data = images.jpeg()
    first = ingest(io.BytesIO(data), filename="first.jpg")
    response = admin_client.post(
        reverse("admin:assets_asset_upload"), {"files": [SimpleUploadedFile("again.jpg", data)]}, follow=True
    )
    page = response.content.decode()
    assert "“again.jpg” is already in the library as" in page
    assert reverse("admin:assets_asset_change", args=[first.pk]) in page
    assert Asset.objects.count() == 2


def test_without_javascript_a_look_alike_is_named_too(admin_client) -> None:
    # given a picture in the library
    from assets.ingest import AssetFields
    from tests import scenes

    original = ingest(io.BytesIO(scenes.encoded(scenes.scene(1), "PNG")), filename="harbour.png",
                      fields=AssetFields(title="Harbour at dawn"))  # fmt: skip
    # when a smaller, brighter, recompressed copy of it is uploaded through the plain form
    response = admin_client.post(
        reverse("admin:assets_asset_upload"),
        {"files": [SimpleUploadedFile("copy.jpg", scenes.near_copy(scenes.scene(1)))]},
        follow=True,
    )
    # then the page names the look-alike, as the drop zone does, with a link to it
    page = response.content.decode()
    link = f'<a href="/admin/assets/asset/{original.pk}/change/">Harbour at dawn</a>'
    assert f"“copy.jpg” looks like {link} (" in page
    assert "already in the library as" not in page  # not byte-identical
