"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import io

import pytest

from assets.ingest import ingest
from renditions import services
from renditions.models import RenditionSpec
from tests import images

pytestmark = pytest.mark.django_db


def test_healthz_and_readyz_report_each_check(client) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200
    assert set(health.json()["checks"]) == {"database", "storage", "broker"}
    assert client.get("/readyz").json()["status"] == "ok"


def test_healthz_fails_when_storage_is_unreachable(client, settings) -> None:
    from dam.storage_config import s3_client_config, s3_storages

    settings.STORAGES = {**settings.STORAGES, **s3_storages(
        bucket="x", endpoint_url="http://127.0.0.1:9", region="us-east-1",
        client_config=s3_client_config(connect_timeout=0.2, read_timeout=0.2))}  # fmt: skip
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["checks"]["storage"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_metrics_count_renders_per_spec(client, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    client.get(services.named_url(asset, RenditionSpec.objects.get(name="og")))
    text = client.get("/metrics").content.decode()
    assert 'dam_renders_total{spec="og"}' in text
    assert 'dam_render_seconds_bucket{le="0.05",spec="og"}' in text
