"""Direct uploads end to end: presign → HTTP POST of the file → complete, on S3 (moto) and locally."""

from __future__ import annotations

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from assets.models import Asset, Upload
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db(transaction=True)


def start(api: APIClient, data: bytes, name: str = "photo.jpg", size: int | None = None) -> dict:
    response = api.post("/api/v1/uploads/", {"filename": name, "content_type": "image/jpeg",
                                             "byte_size": len(data) if size is None else size}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def send(api: APIClient, storage, instructions: dict, data: bytes) -> int:
    """What the Rails app does: a multipart POST of `fields`, then the file, to `url`."""
    assert instructions["method"] == "POST"
    if storage.kind == "s3":  # straight to the moto server over HTTP, as to S3
        files = {instructions["file_field"]: ("photo.jpg", data)}
        return requests.post(
            instructions["url"], data=instructions["fields"], files=files, timeout=10
        ).status_code
    # local storage: the app's own endpoint with the same contract (no API key needed: the policy authorises)
    payload = {**instructions["fields"], instructions["file_field"]: SimpleUploadedFile("photo.jpg", data)}
    return APIClient().post(instructions["url"], payload, format="multipart").status_code


def test_direct_upload_flow(api: APIClient, storage) -> None:
    # given
    data = images.jpeg((300, 200))
    started = start(api, data)
    upload_id, instructions = started["upload"]["id"], started["instructions"]
    if storage.kind == "s3":
        assert instructions["fields"]["key"].startswith("uploads/")
        assert "policy" in instructions["fields"] and "x-amz-signature" in instructions["fields"]
    # completing before the file arrives is a conflict
    assert_problem(
        api.post(f"/api/v1/uploads/{upload_id}/complete/", {}, format="json"), 409, "upload_incomplete"
    )
    # when
    assert send(api, storage, instructions, data) in (200, 201, 204)
    completed = api.post(
        f"/api/v1/uploads/{upload_id}/complete/", {"title": "Direct", "tags": ["d"]}, format="json"
    )
    # then
    assert completed.status_code == 201, completed.content
    body = completed.json()
    assert (body["title"], body["width"], body["height"], body["tags"]) == ("Direct", 300, 200, ["d"])
    assert set(body["renditions"]) >= {"thumb", "small"}
    assert not any(name.startswith("uploads/") for name in storage.names())  # quarantine emptied
    assert any(name.startswith("originals/") for name in storage.names())
    # and completing again is idempotent
    again = api.post(f"/api/v1/uploads/{upload_id}/complete/", {}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Asset.objects.count() == 1
    assert api.get(f"/api/v1/uploads/{upload_id}/").json()["status"] == "complete"


def test_a_bad_file_is_rejected_at_complete_and_its_object_deleted(api: APIClient, storage) -> None:
    data = images.html()
    started = start(api, data, name="evil.jpg")
    assert send(api, storage, started["instructions"], data) in (200, 201, 204)
    response = api.post(f"/api/v1/uploads/{started['upload']['id']}/complete/", {}, format="json")
    assert_problem(response, 400, "invalid_image")
    assert storage.names() == set() and not Asset.objects.exists()
    assert Upload.objects.get().status == "rejected"


def test_a_size_other_than_declared_is_a_conflict(api: APIClient, storage) -> None:
    # given a declared size the file does not have
    data = images.jpeg()
    started = start(api, data, size=len(data) + 10)
    # when it is sent: S3 refuses it by its policy, moto stores it anyway, and so must not be trusted
    sent = send(api, storage, started["instructions"], data)
    assert sent == (204 if storage.kind == "s3" else 409)
    # then complete refuses it either way
    assert_problem(api.post(f"/api/v1/uploads/{started['upload']['id']}/complete/", {}, format="json"),
                   409, "upload_incomplete")  # fmt: skip


def test_declared_size_limits(api: APIClient, settings) -> None:
    too_big = {
        "filename": "x.jpg",
        "content_type": "image/jpeg",
        "byte_size": settings.DAM_MAX_UPLOAD_BYTES + 1,
    }
    assert_problem(api.post("/api/v1/uploads/", too_big, format="json"), 400, "file_too_large")
    assert_problem(
        api.post("/api/v1/uploads/", {**too_big, "byte_size": 0}, format="json"), 400, "empty_file"
    )


@pytest.mark.parametrize("policy", ["forged", "", None, "other-upload"])
def test_local_upload_endpoint_checks_its_policy(api: APIClient, policy: str | None) -> None:
    data = images.jpeg()
    started = start(api, data)
    url = started["instructions"]["url"].split("?")[0]
    if policy == "other-upload":
        url = url.replace(started["upload"]["id"], start(api, data)["upload"]["id"])
        policy = started["instructions"]["url"].split("policy=")[1]
    if policy is not None:
        url += f"?policy={policy}"
    body = {**started["instructions"]["fields"], "file": SimpleUploadedFile("a.jpg", data)}
    assert_problem(APIClient().post(url, body, format="multipart"), 403, "bad_signature")
    assert Upload.objects.filter(status="pending").count() >= 1


def test_concurrent_completes_make_one_asset(api: APIClient, filesystem_storage) -> None:
    import threading

    from django.db import connection

    data = images.jpeg((200, 100))
    started = start(api, data)
    assert send(api, filesystem_storage, started["instructions"], data) == 204
    barrier, statuses = threading.Barrier(4), []

    def complete() -> None:
        barrier.wait()
        statuses.append(
            api.post(f"/api/v1/uploads/{started['upload']['id']}/complete/", {}, format="json").status_code
        )
        connection.close()

    threads = [threading.Thread(target=complete) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(201) == 1 and set(statuses) <= {201, 200, 409}
    assert Asset.objects.count() == 1
