"""Assets whose eager task was lost (a broker restart, a worker node gone) or never queued (the
broker down when the upload committed) do not stay ``processing``: the stalled-asset sweep (Celery
beat, or ``requeue_stalled`` from cron) queues their task again, and only one copy of the task
announces the asset. A real worker on Redis loses a task here in tests/ops/test_worker.py."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from assets.ingest import ingest
from assets.models import Asset, WebhookDelivery, WebhookEndpoint
from renditions.models import Rendition, RenditionSpec
from renditions.tasks import generate_eager, stalled
from tests import images

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager_thumb() -> None:
    RenditionSpec.objects.filter(name="thumb").update(eager=True)


@pytest.fixture
def broker_down() -> Any:
    """Publishing fails at once, as it does once a broker has been down through the retries."""
    from dam.celery import app

    conf = app.conf
    saved = (
        conf.task_always_eager,
        conf.broker_url,
        conf.broker_connection_max_retries,
        conf.task_publish_retry_policy,
    )
    conf.task_always_eager, conf.broker_url, conf.broker_connection_max_retries = (
        False,
        "redis://127.0.0.1:9/0",
        0,
    )
    conf.task_publish_retry_policy = {"max_retries": 0}
    app._pool = None
    yield
    (
        conf.task_always_eager,
        conf.broker_url,
        conf.broker_connection_max_retries,
        conf.task_publish_retry_policy,
    ) = saved
    app._pool = None
    app.amqp._producer_pool = None


def test_an_upload_the_broker_refused_answers_201_and_a_sweep_makes_it_ready(
    api, eager_thumb, broker_down
) -> None:
    # given a broker that is down when the upload commits
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/dam", secret="whsec_x", events=["asset.ready"]
    )
    # when an asset is uploaded
    response = api.post(
        "/api/v1/assets/", {"file": SimpleUploadedFile("x.jpg", images.jpeg())}, format="multipart"
    )
    # then the upload still succeeds (the row committed; only the task is missing) and waits
    assert response.status_code == 201, response.content
    asset = Asset.objects.get(pk=response.json()["id"])
    assert asset.status == Asset.Status.PROCESSING and asset.processing_since is not None
    assert not stalled(timedelta(minutes=10))  # not yet: its task may only be slow
    # when the broker is back (here: in-process) and the sweep runs past the stall time
    broker_down_over()
    Asset.objects.filter(pk=asset.pk).update(processing_since=timezone.now() - timedelta(minutes=11))
    assert stalled(timedelta(minutes=10)) == [str(asset.pk)]
    out = io.StringIO()
    call_command("requeue_stalled", stdout=out)
    # then its renditions are made, and it is announced once
    assert out.getvalue() == "Queued 1 stalled asset again.\n"
    asset.refresh_from_db()
    assert asset.status == Asset.Status.READY and asset.processing_since is None
    assert Rendition.objects.filter(asset=asset, spec_name="thumb").exists()
    assert WebhookDelivery.objects.filter(event="asset.ready").count() == 1


def broker_down_over() -> None:
    from dam.celery import app

    app.conf.task_always_eager = True


def test_a_second_copy_of_the_task_neither_renders_nor_announces_again(eager_thumb) -> None:
    # given an asset made ready by its task, and an endpoint listening
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/dam", secret="whsec_x", events=["asset.ready"]
    )
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    assert Asset.objects.get(pk=asset.pk).status == Asset.Status.READY
    made = Rendition.objects.filter(asset=asset).count()
    assert made and WebhookDelivery.objects.filter(event="asset.ready").count() == 1
    # when a copy the sweep queued runs late
    generate_eager.delay(str(asset.pk))
    # then nothing more happens
    assert Rendition.objects.filter(asset=asset).count() == made
    assert WebhookDelivery.objects.filter(event="asset.ready").count() == 1


def test_the_sweep_leaves_a_recent_or_finished_asset_alone(eager_thumb) -> None:
    fresh = ingest(io.BytesIO(images.jpeg()), filename="a.jpg")
    old = ingest(io.BytesIO(images.jpeg((64, 48))), filename="b.jpg")
    legacy = ingest(io.BytesIO(images.jpeg((48, 64))), filename="c.jpg")
    hour_ago = timezone.now() - timedelta(hours=1)
    Asset.objects.filter(pk=fresh.pk).update(status=Asset.Status.PROCESSING, processing_since=timezone.now())
    Asset.objects.filter(pk=old.pk).update(status=Asset.Status.PROCESSING, processing_since=hour_ago)
    # a row from before the column existed: its last change stands in
    Asset.objects.filter(pk=legacy.pk).update(
        status=Asset.Status.PROCESSING, processing_since=None, updated_at=hour_ago
    )
    assert sorted(stalled(timedelta(minutes=10))) == sorted([str(old.pk), str(legacy.pk)])
    # a sweep restarts the clock of what it queued: the next sweep does not queue it again
    call_command("requeue_stalled", verbosity=0)
    assert Asset.objects.get(pk=old.pk).status == Asset.Status.READY
    assert Asset.objects.get(pk=fresh.pk).status == Asset.Status.PROCESSING
    assert stalled(timedelta(minutes=10)) == []
    out = io.StringIO()
    call_command("requeue_stalled", stdout=out)
    assert out.getvalue() == "No asset is stalled.\n"
