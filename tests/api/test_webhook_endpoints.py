"""/api/v1/webhook-endpoints/: CRUD with a server-made secret shown once, deliveries, redelivery,
a test event. Sending is asynchronous (the outbox): answers are 202 and the receiver is waited for."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from rest_framework.test import APIClient

from assets import webhooks
from assets.ingest import ingest
from assets.models import WebhookDelivery, WebhookEndpoint
from tests import images
from tests.api.conftest import assert_problem
from tests.ops.conftest import Receiver

pytestmark = pytest.mark.django_db(transaction=True)
BASE = "/api/v1/webhook-endpoints/"


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The receiver is on loopback, which webhooks refuse unless private addresses are allowed.
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.server.shutdown()


def register(api: APIClient, url: str, **fields) -> dict:
    response = api.post(BASE, {"url": url, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def wait_for_status(endpoint_id: str, api: APIClient, wanted: str) -> list[dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = api.get(f"{BASE}{endpoint_id}/deliveries/").json()["results"]
        if rows and all(row["status"] == wanted for row in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"deliveries not {wanted}: {rows}")


def test_the_secret_is_made_by_the_server_and_shown_once(api: APIClient, receiver: Receiver) -> None:
    # when
    response = api.post(BASE, {"url": receiver.url, "events": ["asset.ready", "asset.created", "asset.ready"]},
                        format="json")  # fmt: skip
    # then
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"  # no cache keeps it
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["events"] == ["asset.created", "asset.ready"] and created["active"] is True
    shown = api.get(f"{BASE}{created['id']}/").json()
    assert "secret" not in shown and shown["url"] == receiver.url
    assert all("secret" not in row for row in api.get(BASE).json()["results"])
    assert WebhookEndpoint.objects.get().secret == created["secret"]


def test_urls_are_checked_as_the_admin_checks_them_and_shown_without_credentials(
    api: APIClient, settings
) -> None:
    # private addresses and http are refused unless allowed (tests, on-premises)
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = False
    for url in ("http://127.0.0.1:9/hooks", "https://127.0.0.1:9/hooks", "https://169.254.169.254/latest"):
        body = assert_problem(api.post(BASE, {"url": url}, format="json"), 400, "invalid")
        assert "cannot receive webhooks" in body["errors"]["url"][0], url
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    created = register(api, "http://app:s3cret@127.0.0.1:9/hooks?token=abc")
    assert created["url"] == "http://127.0.0.1:9/hooks"  # no credentials, no query
    assert api.get(f"{BASE}{created['id']}/").json()["url"] == "http://127.0.0.1:9/hooks"
    assert WebhookEndpoint.objects.get().url == "http://app:s3cret@127.0.0.1:9/hooks?token=abc"
    assert not WebhookEndpoint.objects.filter(url__startswith="https://169").exists()


def test_a_test_event_is_sent_signed_and_listed(api: APIClient, receiver: Receiver) -> None:
    # given an endpoint subscribed to something else entirely
    endpoint = register(api, receiver.url, events=["asset.deleted"])
    # when
    response = api.post(f"{BASE}{endpoint['id']}/test/")
    # then
    assert response.status_code == 202, response.content
    assert response.json()["event"] == "webhook.test" and response.json()["status"] == "pending"
    (row,) = wait_for_status(endpoint["id"], api, "delivered")
    headers, body = receiver.accepted[0]
    assert webhooks.verify(endpoint["secret"], headers["x-dam-signature"], body, now=time.time())
    assert json.loads(body)["event"] == "webhook.test" and headers["x-dam-delivery"] == row["id"]
    assert (row["attempts"], row["response_status"]) == (1, 200)


def test_only_subscribed_events_are_recorded(api: APIClient, receiver: Receiver, storage) -> None:
    endpoint = register(api, receiver.url, events=["asset.deleted"])
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    asset.delete()
    (row,) = wait_for_status(endpoint["id"], api, "delivered")
    assert row["event"] == "asset.deleted" and receiver.accepted_events() == ["asset.deleted"]


def test_redelivery_is_a_new_delivery_of_the_same_event(api: APIClient, receiver: Receiver, settings) -> None:
    # given a delivery that failed for good
    settings.DAM_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    endpoint = register(api, receiver.url)
    first = api.post(f"{BASE}{endpoint['id']}/test/").json()
    wait_for_status(endpoint["id"], api, "failed")
    # when the app is fixed and the delivery redelivered
    receiver.status = 200
    response = api.post(f"{BASE}{endpoint['id']}/deliveries/{first['id']}/redeliver/")
    # then
    assert response.status_code == 202, response.content
    again = response.json()
    assert again["id"] != first["id"] and again["event"] == first["event"]
    assert again["payload"]["data"] == first["payload"]["data"]
    receiver.wait_for(lambda: len(receiver.accepted) == 1)
    assert json.loads(receiver.accepted[0][1])["id"] == again["id"]
    statuses = {
        row["id"]: row["status"] for row in api.get(f"{BASE}{endpoint['id']}/deliveries/").json()["results"]
    }
    assert statuses == {first["id"]: "failed", again["id"]: "delivered"}
    failed = api.get(f"{BASE}{endpoint['id']}/deliveries/", {"status": "failed"}).json()["results"]
    assert [row["id"] for row in failed] == [first["id"]]


def test_rotating_the_secret_shows_the_new_one_once_and_both_sign_for_a_day(
    api: APIClient, receiver: Receiver
) -> None:
    # given an endpoint whose consuming app still has the first secret
    endpoint = register(api, receiver.url)
    # when the secret is rotated
    rotated = api.post(f"{BASE}{endpoint['id']}/rotate-secret/")
    assert rotated.status_code == 200 and rotated["Cache-Control"] == "no-store"
    secret = rotated.json()["secret"]
    assert secret != endpoint["secret"] and "secret" not in api.get(f"{BASE}{endpoint['id']}/").json()
    expires = datetime.fromisoformat(rotated.json()["previous_secret_expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=24)
    # then deliveries verify with the new secret and, for now, with the old one too
    api.post(f"{BASE}{endpoint['id']}/test/")
    receiver.wait_for(lambda: len(receiver.accepted) == 1)
    headers, body = receiver.accepted[0]
    assert headers["x-dam-signature"].count("v1=") == 2
    assert webhooks.verify(secret, headers["x-dam-signature"], body, now=time.time())
    assert webhooks.verify(endpoint["secret"], headers["x-dam-signature"], body, now=time.time())
    assert not webhooks.verify("whsec_other", headers["x-dam-signature"], body, now=time.time())
    # when the overlap is over, only the new secret signs
    WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(previous_secret_expires_at=timezone.now())
    api.post(f"{BASE}{endpoint['id']}/test/")
    receiver.wait_for(lambda: len(receiver.accepted) == 2)
    headers, body = receiver.accepted[1]
    assert headers["x-dam-signature"].count("v1=") == 1
    assert webhooks.verify(secret, headers["x-dam-signature"], body, now=time.time())
    assert not webhooks.verify(endpoint["secret"], headers["x-dam-signature"], body, now=time.time())


def test_a_leaked_secret_is_revoked_at_once(api: APIClient, receiver: Receiver) -> None:
    endpoint = register(api, receiver.url)
    rotated = api.post(f"{BASE}{endpoint['id']}/rotate-secret/", {"expire_previous_in": 0}, format="json")
    assert rotated.status_code == 200 and rotated.json()["previous_secret_expires_at"] is None
    api.post(f"{BASE}{endpoint['id']}/test/")
    receiver.wait_for(lambda: len(receiver.accepted) == 1)
    headers, body = receiver.accepted[0]
    assert webhooks.verify(rotated.json()["secret"], headers["x-dam-signature"], body, now=time.time())
    assert not webhooks.verify(endpoint["secret"], headers["x-dam-signature"], body, now=time.time())


@pytest.mark.parametrize("value", [-1, 7 * 86400 + 1, "soon"])
def test_the_overlap_is_validated(api: APIClient, receiver: Receiver, value: object) -> None:
    endpoint = register(api, receiver.url)
    response = api.post(
        f"{BASE}{endpoint['id']}/rotate-secret/", {"expire_previous_in": value}, format="json"
    )
    assert_problem(response, 400, "invalid")
    assert "expire_previous_in" in response.json()["errors"]
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).secret == endpoint["secret"]  # unchanged


def test_update_and_delete(api: APIClient, receiver: Receiver) -> None:
    endpoint = register(api, receiver.url)
    url = f"{BASE}{endpoint['id']}/"
    changed = api.patch(url, {"events": ["asset.updated"], "active": False}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["events"], changed.json()["active"]) == (["asset.updated"], False)
    assert_problem(api.post(f"{url}test/"), 409, "endpoint_inactive")
    WebhookDelivery.objects.create(endpoint_id=endpoint["id"], event="asset.updated", payload={})
    assert api.delete(url).status_code == 204
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert_problem(api.get(url), 404, "not_found")


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "not a url"}, "url"),
    ({}, "url"),
    ({"url": "https://example.com/h", "events": ["asset.exploded"]}, "events"),
    ({"url": "https://example.com/h", "events": "asset.ready"}, "events"),
    ({"url": "https://example.com/h", "active": "perhaps"}, "active"),
    ({"url": "https://example.com/" + "h" * 600}, "url"),
])  # fmt: skip
def test_bad_endpoints_are_400_invalid(api: APIClient, settings, body: dict, field: str) -> None:
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    response = api.post(BASE, body, format="json")
    assert field in assert_problem(response, 400, "invalid")["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_bad_parameters_and_ids(api: APIClient, receiver: Receiver) -> None:
    endpoint = register(api, receiver.url)
    assert "colour" in assert_problem(api.get(f"{BASE}?colour=red"), 400, "invalid")["errors"]
    deliveries = f"{BASE}{endpoint['id']}/deliveries/"
    assert "status" in assert_problem(api.get(deliveries, {"status": "lost"}), 400, "invalid")["errors"]
    assert "page_size" in assert_problem(api.get(deliveries, {"page_size": 0}), 400, "invalid")["errors"]
    ghost = "00000000-0000-4000-8000-000000000000"
    assert_problem(api.post(f"{deliveries}{ghost}/redeliver/"), 404, "not_found")
    assert_problem(api.get(f"{BASE}999999/"), 404, "not_found")


def test_another_endpoints_delivery_cannot_be_redelivered_here(api: APIClient, receiver: Receiver) -> None:
    mine, theirs = register(api, receiver.url), register(api, receiver.url)
    row = api.post(f"{BASE}{theirs['id']}/test/").json()
    assert_problem(api.post(f"{BASE}{mine['id']}/deliveries/{row['id']}/redeliver/"), 404, "not_found")


def test_a_read_only_key_reads_and_writes_nothing(
    api: APIClient, read_only_api: APIClient, receiver: Receiver
) -> None:
    endpoint = register(api, receiver.url)
    assert read_only_api.get(BASE).status_code == 200
    assert read_only_api.get(f"{BASE}{endpoint['id']}/deliveries/").status_code == 200
    for method, url in [("post", BASE), ("post", f"{BASE}{endpoint['id']}/test/"),
                        ("post", f"{BASE}{endpoint['id']}/rotate-secret/"), ("delete", f"{BASE}{endpoint['id']}/")]:  # fmt: skip
        assert_problem(
            getattr(read_only_api, method)(url, {"url": receiver.url}, format="json"),
            403,
            "permission_denied",
        )


def test_staff_need_the_webhook_endpoint_permissions(receiver: Receiver) -> None:
    editor = User.objects.create_user("editor", password="x", is_staff=True)
    client = APIClient()
    client.force_login(editor)
    assert_problem(client.get(BASE), 403, "permission_denied")
    editor.user_permissions.add(Permission.objects.get(codename="view_webhookendpoint"))
    editor = User.objects.get(pk=editor.pk)
    client.force_login(editor)
    assert client.get(BASE).status_code == 200
    assert_problem(client.post(BASE, {"url": receiver.url}, format="json"), 403, "permission_denied")
