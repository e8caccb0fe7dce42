"""Eager renditions (in-process, the embedded default), processing → ready/failed, webhooks."""

from __future__ import annotations

import io
import json
import time

import pytest
from django.db import transaction

from assets import outbox, webhooks
from assets.ingest import ingest
from assets.models import Asset, WebhookDelivery, WebhookEndpoint
from renditions import services
from renditions.models import Rendition, RenditionSpec
from tests import images

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "whsec_test"


def test_signature_scheme_round_trips_and_rejects_tampering() -> None:
    body = b'{"event":"asset.ready"}'
    header = webhooks.sign(SECRET, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert webhooks.verify(SECRET, header, body, now=1_700_000_100)
    assert not webhooks.verify(SECRET, header, body + b" ", now=1_700_000_100)
    assert not webhooks.verify("other", header, body, now=1_700_000_100)
    assert not webhooks.verify(SECRET, header, body, now=1_700_001_000)  # replayed too late
    assert not webhooks.verify(SECRET, "garbage", body, now=1_700_000_000)


def test_upload_with_eager_specs_goes_processing_then_ready_and_tells_the_app(receiver, settings) -> None:
    # given an eager spec and a subscribed endpoint
    RenditionSpec.objects.filter(name="thumb").update(eager=True)
    RenditionSpec.objects.create(name="auto-eager", spec="width-50|format-auto", eager=True)
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.ready"])
    # when (no broker: the task runs in-process right after the row commits)
    asset = ingest(io.BytesIO(images.jpeg((300, 200))), filename="x.jpg")
    # then
    asset.refresh_from_db()
    assert asset.status == "ready"
    assert Rendition.objects.filter(asset=asset, spec_name="thumb").count() == 1
    assert Rendition.objects.filter(asset=asset, spec_name="auto-eager").count() == 3  # avif, webp, jpeg
    receiver.wait_for(lambda: WebhookDelivery.objects.filter(delivered_at__isnull=False).exists())
    headers, body = receiver.requests[0]
    assert webhooks.verify(SECRET, headers["x-dam-signature"], body, now=time.time())
    payload = json.loads(body)
    assert payload["event"] == "asset.ready" and headers["x-dam-event"] == "asset.ready"
    assert payload["data"]["asset"]["id"] == str(asset.id)
    assert payload["data"]["asset"]["renditions"]["thumb"]["status"] == "ready"
    point = payload["data"]["asset"]["focal_point"]  # the point `fill` crops on, said as in the API
    assert point is not None and point["source"] == asset.focal_point_source == "auto"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.response_status, delivery.attempts, delivery.status) == (200, 1, "delivered")
    assert str(delivery.id) == headers["x-dam-delivery"] == payload["id"]


def test_without_eager_specs_an_upload_is_ready_at_once() -> None:
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    assert Asset.objects.get(pk=asset.pk).status == "ready"
    assert not Rendition.objects.exists()


def test_a_failed_eager_render_marks_the_asset_failed_with_a_reason(receiver, monkeypatch) -> None:
    RenditionSpec.objects.create(name="impossible", spec="crop-5000,5000,10x10", eager=True)
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    asset.refresh_from_db()
    assert asset.status == "failed" and "invalid_spec" in asset.failure_reason
    receiver.wait_for(lambda: len(receiver.accepted) == 2)
    assert sorted(receiver.accepted_events()) == ["asset.created", "asset.failed"]
    failed = next(json.loads(b) for _, b in receiver.accepted if b"asset.failed" in b)
    assert "invalid_spec" in failed["data"]["asset"]["failure_reason"]


def test_a_lazy_request_first_is_served_and_the_task_then_finds_it(client, settings) -> None:
    from renditions.tasks import generate_eager

    settings.DAM_DELIVERY = "proxy"
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    thumb = RenditionSpec.objects.get(name="thumb")
    thumb.eager = True
    thumb.save()
    assert client.get(services.named_url(asset, thumb)).status_code == 200
    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.PROCESSING)  # its task is due
    generate_eager.delay(str(asset.id))
    assert Rendition.objects.filter(asset=asset).count() == 1
    assert Asset.objects.get(pk=asset.pk).status == Asset.Status.READY


def test_deletion_is_announced_and_failures_are_recorded_until_it_gives_up(receiver, settings) -> None:
    # given an endpoint that always fails, and few quick retries
    settings.DAM_WEBHOOK_MAX_ATTEMPTS, settings.DAM_WEBHOOK_BACKOFF_SECONDS = 3, 0.05
    receiver.status = 500
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.deleted"])
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    asset_id = str(asset.id)
    # when
    asset.delete()
    # then it is tried DAM_WEBHOOK_MAX_ATTEMPTS times, always as the same delivery, then given up
    receiver.wait_for(lambda: WebhookDelivery.objects.filter(next_attempt_at__isnull=True).exists())
    assert len(receiver.requests) == 3
    assert {json.loads(body)["data"]["asset"]["id"] for _, body in receiver.requests} == {asset_id}
    assert len({headers["x-dam-delivery"] for headers, _ in receiver.requests}) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.response_status, delivery.delivered_at, delivery.error) == (500, None, "HTTP 500")
    assert (delivery.attempts, delivery.status) == (3, "failed")


def test_webhook_admin_shows_deliveries(admin_client, receiver) -> None:
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    with transaction.atomic():
        outbox.record("asset.ready", {"asset": {"id": "x"}})
    page = admin_client.get(f"/admin/assets/webhookendpoint/{endpoint.pk}/change/")
    assert page.status_code == 200 and b"asset.ready" in page.content
