"""Direct uploads end to end: presign → HTTP POST of the file → complete, on S3 (moto) and locally."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from assets.models import ApiKey, Asset, Upload
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
    if storage is not None and storage.kind == "s3":  # straight to the moto server over HTTP, as to S3
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


# --- bound to the creator ------------------------------------------------------------------------


def key_client(*, read_only: bool = False) -> APIClient:
    _, raw = ApiKey.issue("other", read_only=read_only)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_an_upload_is_only_its_creators(api: APIClient, admin_client) -> None:
    # given an upload started by one key, its file sent
    data = images.jpeg()
    started = start(api, data)
    upload_id = started["upload"]["id"]
    assert send(api, None, started["instructions"], data) == 204
    # when anyone else reads or completes it: another key, a read-only key, a superuser's session
    strangers = [key_client(), key_client(read_only=True), admin_client]
    for stranger in strangers:
        assert_problem(stranger.get(f"/api/v1/uploads/{upload_id}/"), 404, "not_found")
        completed = stranger.post(
            f"/api/v1/uploads/{upload_id}/complete/", {}, content_type="application/json"
        )
        assert completed.status_code in (403, 404)  # 403: a read-only key may not complete anything
    # then nothing happened to it, and its creator completes it
    assert Upload.objects.get().status == "pending" and not Asset.objects.exists()
    assert api.post(f"/api/v1/uploads/{upload_id}/complete/", {}, format="json").status_code == 201


def test_a_staff_users_upload_is_theirs_alone(admin_user, django_user_model) -> None:
    other_admin = django_user_model.objects.create_superuser("other", "o@example.com", "x")
    mine, theirs = APIClient(), APIClient()
    mine.force_login(admin_user)
    theirs.force_login(other_admin)
    upload_id = start(mine, images.jpeg())["upload"]["id"]
    assert mine.get(f"/api/v1/uploads/{upload_id}/").status_code == 200
    assert_problem(theirs.get(f"/api/v1/uploads/{upload_id}/"), 404, "not_found")
    assert_problem(key_client().get(f"/api/v1/uploads/{upload_id}/"), 404, "not_found")


# --- expiry and pruning ---------------------------------------------------------------------------


def expire(upload_id: str, *, ago: timedelta = timedelta(seconds=1)) -> None:
    Upload.objects.filter(pk=upload_id).update(expires_at=timezone.now() - ago)


def test_complete_after_expiry_is_410_upload_expired(api: APIClient, storage) -> None:
    # given an upload whose file arrived, but that expired before `complete`
    data = images.jpeg()
    started = start(api, data)
    upload_id = started["upload"]["id"]
    assert send(api, storage, started["instructions"], data) in (200, 201, 204)
    expire(upload_id)
    # when
    response = api.post(f"/api/v1/uploads/{upload_id}/complete/", {}, format="json")
    # then
    assert_problem(response, 410, "upload_expired")
    assert not Asset.objects.exists()
    # and once pruned, its object and row are gone: the upload no longer exists
    call_command("prune_uploads", verbosity=0)
    assert storage.names() == set() and not Upload.objects.exists()
    assert_problem(api.post(f"/api/v1/uploads/{upload_id}/complete/", {}, format="json"), 404, "not_found")


def test_a_completed_upload_stays_idempotent_after_expiry(api: APIClient) -> None:
    data = images.jpeg()
    started = start(api, data)
    upload_id = started["upload"]["id"]
    send(api, None, started["instructions"], data)
    first = api.post(f"/api/v1/uploads/{upload_id}/complete/", {}, format="json").json()
    expire(upload_id, ago=timedelta(days=30))
    call_command("prune_uploads", verbosity=0)
    again = api.post(f"/api/v1/uploads/{upload_id}/complete/", {}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first["id"]


def test_the_local_endpoint_refuses_an_expired_upload(api: APIClient, filesystem_storage) -> None:
    data = images.jpeg()
    started = start(api, data)
    expire(started["upload"]["id"])
    body = {**started["instructions"]["fields"], "file": SimpleUploadedFile("a.jpg", data)}
    assert_problem(
        APIClient().post(started["instructions"]["url"], body, format="multipart"), 403, "bad_signature"
    )
    assert filesystem_storage.names() == set()


def test_prune_uploads_removes_what_expired_unfinished(api: APIClient, storage, settings, capsys) -> None:
    # given uploads in every state, each with its object in quarantine
    now = timezone.now()
    timeout = timedelta(seconds=settings.DAM_UPLOAD_COMPLETE_TIMEOUT)
    states = {
        "fresh pending": ("pending", now + timedelta(minutes=5), None),
        "expired pending": ("pending", now - timedelta(seconds=1), None),
        "expired, complete running": ("completing", now - timedelta(seconds=1), now - timedelta(seconds=5)),
        "expired, complete died": (
            "completing",
            now - timedelta(seconds=1),
            now - timeout - timedelta(seconds=1),
        ),
        "expired rejected": ("rejected", now - timedelta(days=1), None),
    }
    made = {}
    for label, (status, expires_at, claimed_at) in states.items():
        upload = Upload.objects.create(filename=f"{label}.jpg", content_type="image/jpeg", byte_size=3,
                                       status=status, expires_at=expires_at, claimed_at=claimed_at)  # fmt: skip
        from django.core.files.base import ContentFile

        from dam.storage import uploads_storage

        uploads_storage().save(upload.storage_name, ContentFile(b"abc"))
        made[label] = str(upload.id)
    # when
    call_command("prune_uploads", "--dry-run", verbosity=0)
    assert Upload.objects.count() == len(states)
    call_command("prune_uploads")
    # then
    pruned = {"expired pending", "expired, complete died"}
    assert {str(u) for u in Upload.objects.values_list("id", flat=True)} == {
        made[k] for k in states if k not in pruned
    }
    left = {name.rsplit("/", 1)[-1] for name in storage.names()}
    assert left == {made[k] for k in states if k not in pruned}
    assert "Deleted 2 expired uploads." in capsys.readouterr().out


def test_celery_beat_prunes_expired_uploads_too(storage) -> None:
    # given an expired upload nobody completed, its object in quarantine
    from django.conf import settings as live
    from django.core.files.base import ContentFile

    from assets.tasks import prune_expired_uploads
    from dam.storage import uploads_storage

    upload = Upload.objects.create(filename="x.jpg", content_type="image/jpeg", byte_size=3,
                                   expires_at=timezone.now() - timedelta(seconds=1))  # fmt: skip
    uploads_storage().save(upload.storage_name, ContentFile(b"abc"))
    assert "assets.tasks.prune_expired_uploads" in {e["task"] for e in live.CELERY_BEAT_SCHEDULE.values()}
    # when beat's task runs
    prune_expired_uploads()
    # then both are gone
    assert not Upload.objects.exists() and not any(n.startswith("uploads/") for n in storage.names())


# --- a complete whose worker died ---------------------------------------------------------------


def test_a_dead_complete_claim_expires_so_a_retry_finishes(api: APIClient, settings) -> None:
    # given a sent upload left `completing` as a worker killed mid-ingest leaves it (SIGKILL, a
    # codec segfault: no cleanup code runs, so the state is written here directly)
    data = images.jpeg((90, 60))
    started = start(api, data)
    upload_id = started["upload"]["id"]
    send(api, None, started["instructions"], data)
    Upload.objects.filter(pk=upload_id).update(status="completing", claimed_at=timezone.now())
    url = f"/api/v1/uploads/{upload_id}/complete/"
    # when retried while the claim may still be alive: a conflict
    assert_problem(api.post(url, {}, format="json"), 409, "upload_incomplete")
    # when retried after DAM_UPLOAD_COMPLETE_TIMEOUT
    claimed = timezone.now() - timedelta(seconds=settings.DAM_UPLOAD_COMPLETE_TIMEOUT + 1)
    Upload.objects.filter(pk=upload_id).update(claimed_at=claimed)
    response = api.post(url, {}, format="json")
    # then the retry takes it over and finishes
    assert response.status_code == 201, response.content
    assert Upload.objects.get().status == "complete" and Asset.objects.count() == 1


def test_a_complete_that_outlives_its_claim_leaves_one_asset(api: APIClient, settings, monkeypatch) -> None:
    # given a complete so slow that, while it ingests, its claim times out and a retry finishes first
    from assets import uploads

    settings.DAM_UPLOAD_COMPLETE_TIMEOUT = 0
    data = images.jpeg((90, 60))
    started = start(api, data)
    send(api, None, started["instructions"], data)
    upload = Upload.objects.get()
    real_ingest, results = uploads.ingest, []

    def slow_ingest(*args, **kwargs):
        if not results:
            results.append(None)
            results[0] = uploads.complete(upload)  # the retry, arriving while this one runs
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(uploads, "ingest", slow_ingest)
    # when the slow one finishes
    asset, created = uploads.complete(upload)
    # then it answers with the retry's asset and removed its own duplicate
    ((retry_asset, retry_created),) = results
    assert retry_created and not created and asset.pk == retry_asset.pk
    assert list(Asset.objects.values_list("pk", flat=True)) == [asset.pk]
    assert Upload.objects.get().asset_id == asset.pk


# --- the presigned POST policy ----------------------------------------------------------------------


def test_the_presigned_policy_admits_exactly_the_declared_file(api: APIClient, s3_storage) -> None:
    # given
    data = images.png()
    response = api.post("/api/v1/uploads/", {"filename": "p.png", "content_type": "image/png",
                                             "byte_size": len(data)}, format="json")  # fmt: skip
    instructions = response.json()["instructions"]
    # then the policy S3 enforces pins the size, the type and the disposition
    policy = json.loads(base64.b64decode(instructions["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", len(data), len(data)] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert {"Content-Disposition": "attachment"} in conditions
    assert {"key": instructions["fields"]["key"]} in conditions
    # and the object sent over HTTP to the (moto) S3 server is stored with them
    assert send(api, s3_storage, instructions, data) == 204
    head = s3_storage.client.head_object(Bucket=s3_storage.bucket, Key=instructions["fields"]["key"])
    assert head["ContentType"] == "image/png" and head["ContentDisposition"] == "attachment"
    assert head["ContentLength"] == len(data)


@pytest.mark.parametrize("declared", ["text/html", "image/svg+xml", "application/octet-stream", "image/tiff",
                                      "image/jpeg; charset=utf-8", "image/jpeg\x00"])  # fmt: skip
def test_start_refuses_a_content_type_that_is_not_an_accepted_image(api: APIClient, declared: str) -> None:
    response = api.post("/api/v1/uploads/", {"filename": "x.jpg", "content_type": declared, "byte_size": 10},
                        format="json")  # fmt: skip
    body = assert_problem(response, 400, "unsupported_format" if "\x00" not in declared else "invalid")
    assert "content_type" in body["errors"] and not Upload.objects.exists()


def test_accepted_content_types_follow_the_allowed_formats(api: APIClient, settings) -> None:
    settings.DAM_ALLOWED_FORMATS = ["JPEG", "PNG"]
    ok = api.post(
        "/api/v1/uploads/", {"filename": "x", "content_type": "IMAGE/PNG", "byte_size": 10}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["upload"]["content_type"] == "image/png"
    gif = api.post(
        "/api/v1/uploads/", {"filename": "x", "content_type": "image/gif", "byte_size": 10}, format="json"
    )
    assert_problem(gif, 400, "unsupported_format")


@pytest.mark.parametrize("name", [
    "a" * 300 + ".jpg",  # longer than any column
    "é" * 254 + ".jpg",  # long in characters and longer in UTF-8 bytes
    "../../etc/" + "b" * 250 + ".JPG",  # a path, then a long name
])  # fmt: skip
def test_a_long_file_name_gets_the_same_display_name_by_either_path(api: APIClient, name: str) -> None:
    # given the same file sent as multipart and as a direct upload
    data = images.jpeg((60, 40))
    multipart = api.post("/api/v1/assets/", {"file": SimpleUploadedFile(name, data)}, format="multipart")
    started = start(api, data, name=name)
    # when the direct upload is sent and completed
    assert send(api, None, started["instructions"], data) in (200, 201, 204)
    direct = api.post(f"/api/v1/uploads/{started['upload']['id']}/complete/", {}, format="json")
    # then both are accepted and show one name, shortened, its extension kept
    assert multipart.status_code == 201, multipart.content
    assert direct.status_code == 201, direct.content
    assert direct.json()["filename"] == multipart.json()["filename"] == started["upload"]["filename"]
    assert len(started["upload"]["filename"]) <= 255
    assert started["upload"]["filename"].lower().endswith(".jpg")
