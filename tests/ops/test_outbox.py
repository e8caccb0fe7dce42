"""Webhooks as a transactional outbox: rows written with the change, sent after the commit by a
sender (the in-process thread in the embedded default, Celery workers with a broker), retried
with backoff, exactly one accepted delivery per event, nothing lost when a process dies."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from assets import outbox
from assets.ingest import ingest
from assets.models import Asset, WebhookDelivery, WebhookEndpoint
from dam.public_url import public_base_url
from renditions.models import RenditionSpec
from tests import images
from tests.ops.test_worker import ROOT, _database_url, start_worker, stop, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "whsec_outbox"


class FailsTwice:
    """The consuming app: answers 503, then 500, then 204 to each delivery (by X-Dam-Delivery)."""

    def __init__(self, receiver) -> None:  # type: ignore[no-untyped-def]
        self.receiver = receiver
        self.seen: dict[str, int] = {}
        receiver.status = 204
        original = receiver.server.RequestHandlerClass.do_POST

        def do_post(handler) -> None:  # type: ignore[no-untyped-def]
            delivery = handler.headers["X-Dam-Delivery"]
            with receiver._lock:
                self.seen[delivery] = self.seen.get(delivery, 0) + 1
                if self.seen[delivery] <= 2:
                    receiver.script.insert(0, 503 if self.seen[delivery] == 1 else 500)
            original(handler)

        receiver.server.RequestHandlerClass.do_POST = do_post

    def accepted_per_event(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.receiver.accepted_events():
            counts[event] = counts.get(event, 0) + 1
        return counts


@pytest.fixture
def quick_retries(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DAM_WEBHOOK_BACKOFF_SECONDS = 0.05


def test_a_receiver_that_fails_twice_gets_exactly_one_accepted_delivery_per_event(
    api, receiver, quick_retries
) -> None:
    # given the embedded default (no broker), an eager spec, and an app that fails twice each time
    RenditionSpec.objects.filter(name="thumb").update(eager=True)
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    app = FailsTwice(receiver)
    # when an asset is created (→ created, ready), edited (→ updated) and deleted (→ deleted)
    upload = SimpleUploadedFile("x.jpg", images.jpeg((300, 200)), content_type="image/jpeg")
    asset_id = api.post("/api/v1/assets/", {"file": upload}, format="multipart").json()["id"]
    assert api.patch(f"/api/v1/assets/{asset_id}/", {"title": "New"}, format="json").status_code == 200
    assert api.delete(f"/api/v1/assets/{asset_id}/").status_code == 204
    # then each event is accepted once, after two refusals, as one delivery with one id
    events = ["asset.created", "asset.deleted", "asset.ready", "asset.updated"]
    receiver.wait_for(lambda: sorted(receiver.accepted_events()) == events)
    time.sleep(0.5)  # anything sent twice would have arrived by now
    assert app.accepted_per_event() == dict.fromkeys(events, 1)
    assert len(receiver.requests) == 12 and set(app.seen.values()) == {3}
    rows = WebhookDelivery.objects.all()
    assert {(r.event, r.attempts, r.status, r.response_status) for r in rows} == {
        (event, 3, "delivered", 204) for event in events
    }


def test_the_request_does_not_wait_for_the_consuming_app(api, receiver) -> None:
    # given an app that takes 2 s to answer
    receiver.delay = 2.0
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.deleted"])
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    # when
    started = time.monotonic()
    response = api.delete(f"/api/v1/assets/{asset.id}/")
    elapsed = time.monotonic() - started
    # then the request is answered at once, and the event arrives afterwards
    assert response.status_code == 204 and elapsed < 1.0, elapsed
    receiver.wait_for(lambda: receiver.accepted_events() == ["asset.deleted"])


def _die_between_commit_and_send(tmp_path: Path, storage_root: Path) -> subprocess.CompletedProcess[bytes]:
    """Another process makes an asset and is SIGKILLed right after the commit, before the send."""
    script = textwrap.dedent(f"""
        import io, os, signal
        from pathlib import Path
        import django
        django.setup()
        from django.conf import settings
        from dam.storage_config import filesystem_storages
        settings.STORAGES = {{**settings.STORAGES, **filesystem_storages(Path({str(storage_root)!r}))}}
        from assets import outbox
        from assets.ingest import ingest
        from tests import images
        outbox.hand_off = lambda ids: os.kill(os.getpid(), signal.SIGKILL)
        ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
        print("not killed")
    """)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DAM_SECRET_KEY": "test",
           "DAM_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "dam.settings",
           "DAM_WEBHOOK_ALLOW_PRIVATE": "true"}  # fmt: skip
    env.pop("DAM_BROKER_URL", None)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("sweep", ["send_webhooks command", "in-process sender of the next process"])
def test_nothing_is_lost_when_the_process_dies_between_commit_and_send(
    receiver, tmp_path, settings, sweep: str
) -> None:
    # given an endpoint, and a process killed after its commit wrote asset.created, before sending
    from dam.storage_config import filesystem_storages

    settings.STORAGES = {**settings.STORAGES, **filesystem_storages(tmp_path / "var")}
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.created"])
    died = _die_between_commit_and_send(tmp_path, tmp_path / "var")
    assert died.returncode == -9, died.stdout + died.stderr
    asset = Asset.objects.get()
    assert WebhookDelivery.objects.get().status == "pending" and receiver.requests == []
    # when the sweep runs: from cron, or in the next process to serve a request
    if sweep == "send_webhooks command":
        call_command("send_webhooks")
    else:
        outbox.start_in_process_sender()
    # then the event is delivered, once
    receiver.wait_for(lambda: WebhookDelivery.objects.get().status == "delivered")
    assert len(receiver.accepted) == 1
    assert json.loads(receiver.accepted[0][1])["data"]["asset"]["id"] == str(asset.id)


def test_a_broker_that_refuses_the_task_loses_nothing_and_fails_no_request(receiver, monkeypatch) -> None:
    # given a broker that is down (and no eager renditions to queue: only the webhook's task)
    from assets import ingest as ingest_module
    from dam.celery import app

    monkeypatch.setattr(ingest_module, "after_ingest", [])

    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.created"])
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_connection_max_retries)
    app.conf.task_always_eager, app.conf.broker_url = False, "redis://127.0.0.1:9/0"
    app.conf.broker_connection_max_retries = 0
    app._pool = None
    try:
        # when an asset is made
        ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_connection_max_retries = saved
        app._pool = None
    # then the row waits, and a sweep sends it
    assert WebhookDelivery.objects.get().status == "pending"
    call_command("send_webhooks")
    receiver.wait_for(lambda: receiver.accepted_events() == ["asset.created"])


@pytest.fixture
def no_hand_off(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Rows are written but handed to no sender: the test drives the senders itself."""
    monkeypatch.setattr(outbox, "hand_off", lambda ids: None)


def test_two_senders_never_send_one_row_twice(receiver, no_hand_off) -> None:
    # given a slow app and a few due deliveries
    receiver.delay = 1.0
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    with transaction.atomic():
        rows = [
            outbox.record("asset.ready", {"asset": {"id": str(i)}}, endpoints=[endpoint])[0] for i in range(6)
        ]
    outcomes: list[outbox.Outcome] = []
    together = threading.Barrier(2 * len(rows))

    def sender(row: WebhookDelivery) -> None:
        try:
            together.wait(10)
            outcomes.append(outbox.attempt(str(row.id))[0])
        finally:
            connection.close()

    # when two senders (a task and a sweep, say) attempt each at the same moment
    threads = [threading.Thread(target=sender, args=(row,)) for row in rows for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # then one of them sends it, the other skips it
    assert sorted(o.value for o in outcomes) == ["delivered"] * len(rows) + ["skipped"] * len(rows)
    assert len(receiver.requests) == len(rows)


def test_a_sender_killed_mid_attempt_loses_the_row_when_its_lease_ends(receiver) -> None:
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    now = timezone.now()
    row = WebhookDelivery.objects.create(endpoint=endpoint, event="asset.ready", payload={"id": "x"},
                                         next_attempt_at=now, locked_until=now + timedelta(minutes=1))  # fmt: skip
    assert outbox.send_due().total() == 0 and receiver.requests == []  # held: left alone
    WebhookDelivery.objects.filter(pk=row.pk).update(locked_until=now - timedelta(seconds=1))
    assert outbox.send_due() == {outbox.Outcome.DELIVERED: 1}
    assert WebhookDelivery.objects.get().status == "delivered" and len(receiver.requests) == 1


def test_an_inactive_endpoint_is_sent_nothing_until_reactivated(receiver, no_hand_off) -> None:
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.created"])
    WebhookEndpoint.objects.update(active=False)
    with transaction.atomic():
        outbox.record("asset.created", {"asset": {"id": "x"}}, endpoints=[endpoint])
    assert outbox.send_due().total() == 0 and receiver.requests == []
    WebhookEndpoint.objects.update(active=True)
    assert outbox.send_due() == {outbox.Outcome.DELIVERED: 1} and len(receiver.accepted) == 1


def test_a_rolled_back_change_announces_nothing(receiver) -> None:
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    asset_id = asset.pk
    receiver.wait_for(lambda: len(receiver.accepted) == 2)  # created, ready

    def delete_then_fail() -> None:
        with transaction.atomic():
            asset.delete()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert Asset.objects.filter(pk=asset_id).exists()
    assert not WebhookDelivery.objects.filter(event="asset.deleted").exists()


@pytest.mark.parametrize("configured", ["", "https://dam.example.com"])
def test_payload_urls_are_absolute_without_a_request(receiver, settings, configured: str) -> None:
    settings.DAM_PUBLIC_BASE_URL = configured
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.created"])
    ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    receiver.wait_for(lambda: len(receiver.accepted) == 1)
    url = json.loads(receiver.accepted[0][1])["data"]["asset"]["renditions"]["thumb"]["url"]
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc and parts.path.startswith("/r/")
    assert url.startswith(configured or public_base_url())


@pytest.mark.services
@pytest.mark.slow
def test_with_a_worker_a_receiver_that_fails_twice_gets_exactly_one_accepted_delivery_per_event(
    broker, tmp_path, settings, receiver
) -> None:
    # given a real worker on Redis, an eager spec, and an app that fails twice each time
    from dam.storage_config import filesystem_storages

    settings.STORAGES = {**settings.STORAGES, **filesystem_storages(tmp_path / "var")}
    RenditionSpec.objects.filter(name="thumb").update(eager=True)
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)
    app = FailsTwice(receiver)
    worker, log = start_worker(tmp_path, broker, "outbox", DAM_WEBHOOK_BACKOFF_SECONDS="0.2")
    try:
        # when an asset is made (its eager renditions and asset.ready: the worker) and deleted
        asset = ingest(io.BytesIO(images.jpeg((400, 300))), filename="x.jpg")
        wait_for(lambda: Asset.objects.get(pk=asset.pk).status == "ready", 60, log.read_text()[-3000:])
        asset.delete()
        # then each event is accepted once, after two refusals
        events = ["asset.created", "asset.deleted", "asset.ready"]
        wait_for(lambda: sorted(receiver.accepted_events()) == events, 60, log.read_text()[-3000:])
        time.sleep(1.0)  # anything sent twice would have arrived by now
    finally:
        stop(worker)
    assert app.accepted_per_event() == dict.fromkeys(events, 1)
    assert set(app.seen.values()) == {3}
    assert {(r.event, r.attempts, r.status) for r in WebhookDelivery.objects.all()} == {
        (event, 3, "delivered") for event in events
    }


def test_an_edit_in_the_admin_announces_asset_updated_with_its_tags(admin_client, no_hand_off) -> None:
    from django.urls import reverse

    WebhookEndpoint.objects.create(url="https://app.example.com/hooks", events=["asset.updated"])
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    data = {"title": "New", "alt_text": "", "caption": "", "credit": "", "copyright": "", "focal_x": "",
            "focal_y": "", "collection": str(asset.collection_id), "tag_names": "a, b"}  # fmt: skip
    assert admin_client.post(reverse("admin:assets_asset_change", args=[asset.pk]), data).status_code == 302
    (row,) = WebhookDelivery.objects.filter(event="asset.updated")
    described = row.payload["data"]["asset"]
    assert (described["id"], described["title"], described["tags"]) == (str(asset.pk), "New", ["a", "b"])


@pytest.mark.parametrize("eager", [True, False], ids=["in-process", "broker"])
def test_the_first_request_starts_the_sender_and_later_requests_pay_nothing(
    client, monkeypatch, eager
) -> None:
    # given a process about to serve its first request (the receiver connected, as at start-up)
    from django.core.signals import request_started

    from dam.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", eager)
    request_started.connect(outbox.start_in_process_sender, dispatch_uid=outbox.SENDER_RECEIVER)
    reads = []
    monkeypatch.setattr(outbox, "broker_configured", lambda: reads.append(1) or not eager)
    outbox.InProcessSender.stop()
    # when it serves three
    for _ in range(3):
        client.get("/healthz")
    # then the configuration was read once, the receiver is gone, and the sender runs without a broker
    assert len(reads) == 1
    assert not request_started.disconnect(dispatch_uid=outbox.SENDER_RECEIVER)
    assert outbox.InProcessSender.running() is eager
