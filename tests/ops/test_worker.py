"""A real Celery worker on the machine's Redis: eager renditions, webhooks, SIGKILL mid-render.

Needs Redis at DAM_REDIS_URL (default redis://127.0.0.1:6379/0). Locally, without it, these tests
skip; in CI (DAM_REQUIRE_SERVICES=1) they fail instead.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from PIL import Image

from assets import webhooks
from assets.ingest import ingest
from assets.models import Asset, WebhookEndpoint
from renditions import services
from renditions.models import Rendition, RenditionSpec
from tests import images
from tests.ops.conftest import REDIS_URL

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_worker"


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(
    tmp_path: Path, queue: str, name: str, **extra_env: str
) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "DAM_SECRET_KEY": "test", "DAM_VAR_DIR": str(tmp_path / "var"),
           "DAM_BROKER_URL": REDIS_URL, "DAM_TASK_QUEUE": queue, "DAM_RENDER_LEASE_SECONDS": "3",
           "DAM_RENDER_WAIT_SECONDS": "60", "DAM_PUBLIC_BASE_URL": "http://dam.test",
           "DAM_WEBHOOK_ALLOW_PRIVATE": "true", **extra_env}  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dam", "worker", "-l", "info", "-c", "1", "-P", "prefork",
         "-Q", queue, "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for(lambda: b"ready." in log.read_bytes(), 60, f"worker did not start:\n{log.read_text()[-2000:]}")
    return worker, log


def stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


def wait_for(condition, seconds: float, message: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(message)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_worker_renders_eager_specs_then_the_app_gets_a_signed_asset_ready(
    broker, tmp_path, settings, receiver
) -> None:
    # given a worker, an eager spec and a subscribed endpoint
    from dam.storage_config import filesystem_storages

    settings.STORAGES = {**settings.STORAGES, **filesystem_storages(tmp_path / "var")}
    RenditionSpec.objects.filter(name__in=["thumb", "og"]).update(eager=True)
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.ready"])
    worker, log = start_worker(tmp_path, broker, "w1")
    try:
        # when
        asset = ingest(io.BytesIO(images.jpeg((800, 600))), filename="x.jpg")
        assert Asset.objects.get(pk=asset.pk).status == "processing"
        # then
        wait_for(lambda: Asset.objects.get(pk=asset.pk).status == "ready", 60, log.read_text()[-3000:])
        assert receiver.arrived.wait(30), log.read_text()[-3000:]
    finally:
        stop(worker)
    headers, body = receiver.requests[0]
    assert webhooks.verify(SECRET, headers["x-dam-signature"], body, now=time.time())
    payload = json.loads(body)
    assert payload["event"] == "asset.ready" and payload["data"]["asset"]["id"] == str(asset.id)
    assert payload["data"]["asset"]["renditions"]["og"]["url"].startswith("http://dam.test/r/")
    assert set(Rendition.objects.filter(asset=asset).values_list("spec_name", flat=True)) == {"thumb", "og"}
    assert "rendered asset=" in log.read_text()  # the worker made them, with its timing line


def test_a_worker_killed_mid_render_runs_the_task_again_and_the_rendition_exists_once(
    broker, tmp_path, settings
) -> None:
    # given an eager spec that takes seconds to render
    from dam.storage_config import filesystem_storages

    settings.STORAGES = {**settings.STORAGES, **filesystem_storages(tmp_path / "var")}
    RenditionSpec.objects.create(name="slow", spec="fit-3000x3000|format-avif|quality-90", eager=True)
    noise = Image.merge("RGB", [Image.effect_noise((3000, 3000), 60)] * 3)
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=85)
    worker, log = start_worker(tmp_path, broker, "w2")
    try:
        asset = ingest(io.BytesIO(buffer.getvalue()), filename="noise.jpg")
        # when the render is under way (its lease is taken), the process doing it is SIGKILLed
        wait_for(lambda: services.renders_in_flight() > 0, 60, log.read_text()[-3000:])
        (child,) = children_of(worker.pid)
        os.kill(child, signal.SIGKILL)
        # then the task runs again (acks_late + reject_on_worker_lost), takes over the expired lease
        wait_for(lambda: Asset.objects.get(pk=asset.pk).status == "ready", 120, log.read_text()[-3000:])
    finally:
        stop(worker)
    text = log.read_text()
    assert "WorkerLostError" in text or "SIGKILL" in text or "signal 9" in text, text[-3000:]
    assert Rendition.objects.filter(asset=asset, spec_name="slow").count() == 1
    files = list((tmp_path / "var" / "renditions" / str(asset.id)).iterdir())
    assert len(files) == 1 and Image.open(files[0]).size == (3000, 3000)
    assert text.count("rendered asset=") == 1
    assert services.renders_in_flight() == 0


def test_a_task_the_broker_lost_is_queued_again_by_the_sweep_and_announced_once(
    broker, tmp_path, settings, receiver
) -> None:
    # given an upload whose eager task the broker then loses (its queue gone with a restart)
    import redis
    from django.core.management import call_command

    from dam.storage_config import filesystem_storages

    settings.STORAGES = {**settings.STORAGES, **filesystem_storages(tmp_path / "var")}
    RenditionSpec.objects.filter(name="thumb").update(eager=True)
    WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=["asset.ready"])
    asset = ingest(io.BytesIO(images.jpeg((800, 600))), filename="x.jpg")
    queue = redis.Redis.from_url(REDIS_URL)
    assert queue.llen(broker) == 1
    queue.delete(broker)
    worker, log = start_worker(tmp_path, broker, "w1")
    try:
        time.sleep(1)
        assert Asset.objects.get(pk=asset.pk).status == "processing"  # nothing would ever make it
        # when the sweep runs past the stall time
        call_command("requeue_stalled", "--older-than", "0", verbosity=0)
        # then a worker makes it ready, and the app hears of it once
        wait_for(lambda: Asset.objects.get(pk=asset.pk).status == "ready", 60, log.read_text()[-3000:])
        assert receiver.arrived.wait(30), log.read_text()[-3000:]
        call_command("requeue_stalled", "--older-than", "0", verbosity=0)  # nothing left to queue
        time.sleep(1)
    finally:
        stop(worker)
    assert queue.llen(broker) == 0
    assert [json.loads(body)["event"] for _, body in receiver.requests] == ["asset.ready"]
    assert Rendition.objects.filter(asset=asset, spec_name="thumb").count() == 1
