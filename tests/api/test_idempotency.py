"""Idempotency-Key on POST assets/ and POST uploads/ (Stripe's semantics): a retry gets the first
answer, nothing is made twice; another request under the same key is 409; keys are per client."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api import idempotency, views
from api.models import IdempotencyRecord
from assets.models import ApiKey, Asset, Upload
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "import-42-hero"
JPEG = images.jpeg((64, 48))


def create(api: APIClient, key: str | None = KEY, data: bytes = JPEG, **fields):
    form = {"file": SimpleUploadedFile("hero.jpg", data, content_type="image/jpeg"), **fields}
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return api.post("/api/v1/assets/", form, format="multipart", **headers)


def start(api: APIClient, key: str | None = KEY, **overrides):
    body = {"filename": "hero.jpg", "content_type": "image/jpeg", "byte_size": 1234, **overrides}
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return api.post("/api/v1/uploads/", body, format="json", **headers)


def test_a_retried_create_gets_the_first_answer_and_makes_nothing_twice(api: APIClient, storage) -> None:
    # given a create that succeeded (its answer lost on the way, say)
    first = create(api, title="Hero")
    # when the client retries with the same key (a new multipart boundary, the same form)
    again = create(api, title="Hero")
    # then
    assert first.status_code == again.status_code == 201, first.content
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Asset.objects.count() == 1
    assert len([n for n in storage.names() if n.startswith("originals/")]) == 1


def test_a_retried_upload_start_gets_the_same_upload(api: APIClient) -> None:
    first, again = start(api), start(api)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Upload.objects.count() == 1


@pytest.mark.parametrize("other", [
    lambda api: create(api, title="Another title"),
    lambda api: create(api, data=images.png()),  # another file
    lambda api: create(api, tags=["x"]),  # another field
    lambda api: start(api),  # another endpoint
])  # fmt: skip
def test_the_same_key_for_another_request_is_a_conflict(api: APIClient, other) -> None:
    assert create(api).status_code == 201
    body = assert_problem(other(api), 409, "idempotency_conflict")
    assert "Idempotency-Key" in body["detail"]
    assert Asset.objects.count() == 1 and not Upload.objects.exists()


def test_keys_are_per_client(api: APIClient) -> None:
    _, raw = ApiKey.issue("another app")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    mine, theirs = create(api), create(other)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"] and "Idempotent-Replayed" not in theirs


def test_without_a_key_every_create_creates(api: APIClient) -> None:
    assert create(api, key=None).status_code == create(api, key=None).status_code == 201
    assert Asset.objects.count() == 2 and not IdempotencyRecord.objects.exists()


def test_a_refusal_is_replayed_too(api: APIClient) -> None:
    first = create(api, data=images.truncated_jpeg())
    again = create(api, data=images.truncated_jpeg())
    assert_problem(first, 400, "corrupt_image")
    assert_problem(again, 400, "corrupt_image")
    assert again.content == first.content and again["Cache-Control"] == "no-store"


def test_a_server_side_failure_is_not_kept_and_the_retry_runs(api: APIClient, settings) -> None:
    from dam.storage_config import s3_client_config, s3_storages

    # given storage down: 503
    working = settings.STORAGES
    settings.STORAGES = {**working, **s3_storages(
        bucket="nowhere", endpoint_url="http://127.0.0.1:9", region="us-east-1",
        client_config=s3_client_config(connect_timeout=0.2, read_timeout=0.2))}  # fmt: skip
    assert_problem(create(api), 503, "overloaded")
    # when it is back and the client retries with the same key
    settings.STORAGES = working
    again = create(api)
    # then the request ran
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Asset.objects.count() == 1


def test_a_key_whose_first_request_still_runs_is_409_in_progress(api: APIClient) -> None:
    # given a first request holding the key: blocked in the middle of its ingest
    inside, release = threading.Event(), threading.Event()
    real_ingest = views.ingest

    def slow_ingest(*args, **kwargs):
        inside.set()
        assert release.wait(10)
        return real_ingest(*args, **kwargs)

    views.ingest = slow_ingest
    answers: list = []

    def first_request() -> None:
        try:
            answers.append(create(api))
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    try:
        thread.start()
        assert inside.wait(10)
        # when a retry arrives meanwhile
        response = create(api)
    finally:
        views.ingest = real_ingest
        release.set()
        thread.join(10)
    # then it is told to come back, and then gets the first answer
    assert_problem(response, 409, "idempotency_in_progress")
    assert int(response["Retry-After"]) >= 1
    assert answers[0].status_code == 201
    later = create(api)
    assert later.content == answers[0].content and later["Idempotent-Replayed"] == "true"
    assert Asset.objects.count() == 1


def test_a_key_held_by_a_dead_request_is_taken_over_after_the_lock_timeout(api: APIClient, settings) -> None:
    # given a first request that died holding the key (no answer recorded)
    create(api)
    record = IdempotencyRecord.objects.get()
    Asset.objects.all().delete()
    stale = timezone.now() - timedelta(seconds=settings.DAM_IDEMPOTENCY_LOCK_TIMEOUT + 1)
    IdempotencyRecord.objects.filter(pk=record.pk).update(response_status=None, locked_at=stale)
    # when the client retries, then it runs
    again = create(api)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Asset.objects.count() == 1
    # but while the lock is fresh it would have been 409
    IdempotencyRecord.objects.update(response_status=None, locked_at=timezone.now())
    assert_problem(create(api), 409, "idempotency_in_progress")


def test_keys_expire_and_the_prune_command_deletes_them(api: APIClient, settings) -> None:
    # given a key used more than DAM_IDEMPOTENCY_TTL ago, and a fresh one
    create(api)
    old = timezone.now() - timedelta(seconds=1)
    IdempotencyRecord.objects.update(expires_at=old)
    start(api, key="fresh")
    # when the old key is used again, it is a new key: the request runs
    again = create(api)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Asset.objects.count() == 2
    # and pruning deletes only what expired
    IdempotencyRecord.objects.filter(key=KEY).update(expires_at=old)
    call_command("prune_idempotency_keys")
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.parametrize("key", ["", "   ", "k" * (idempotency.MAX_KEY_LENGTH + 1), "clé", "a\tb"])
def test_a_malformed_key_is_400_invalid(api: APIClient, key: str) -> None:
    body = assert_problem(create(api, key=key), 400, "invalid")
    assert "Idempotency-Key" in body["errors"]
    assert not Asset.objects.exists()


def test_staff_sessions_have_keys_of_their_own(admin_client, api: APIClient) -> None:
    from django.test import Client

    assert isinstance(admin_client, Client)
    first = admin_client.post("/api/v1/uploads/", {"filename": "a.jpg", "content_type": "image/jpeg",
                              "byte_size": 10}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)  # fmt: skip
    theirs = start(api, byte_size=10, filename="a.jpg")
    assert first.status_code == theirs.status_code == 201
    assert first.json()["upload"]["id"] != theirs.json()["upload"]["id"]
