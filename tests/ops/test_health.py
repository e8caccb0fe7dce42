"""/healthz, /readyz and /metrics: who sees what, and what fails them."""

from __future__ import annotations

import io

import pytest

from assets.ingest import ingest
from dam.storage_config import s3_client_config, s3_storages
from renditions import services
from renditions.models import RenditionSpec
from tests import images
from tests.conftest import S3_REGION

pytestmark = pytest.mark.django_db
TOKEN = "health-token-for-tests"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_the_public_answer_is_the_status_only(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_staff_see_each_check(admin_client) -> None:
    health = admin_client.get("/healthz")
    assert health.status_code == 200
    assert set(health.json()["checks"]) == {"database", "storage", "broker"}
    assert set(admin_client.get("/readyz").json()["checks"]) == {"database", "migrations"}


@pytest.mark.parametrize(
    ("authorization", "sees_details"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        ("Bearer wrong", False),
        (TOKEN, False),
        ("", False),
    ],
)
def test_the_health_token_shows_details(client, settings, authorization, sees_details) -> None:
    settings.DAM_HEALTH_TOKEN = TOKEN
    body = client.get("/healthz", headers={"Authorization": authorization}).json()
    assert ("checks" in body) is sees_details


def test_without_a_configured_token_no_bearer_header_shows_details(client, settings) -> None:
    settings.DAM_HEALTH_TOKEN = ""
    assert "checks" not in client.get("/healthz", headers={"Authorization": "Bearer "}).json()


def test_healthz_fails_when_storage_is_unreachable_and_names_nothing_publicly(client, settings) -> None:
    settings.DAM_HEALTH_TOKEN = TOKEN
    settings.STORAGES = {**settings.STORAGES, **s3_storages(
        bucket="x", endpoint_url="http://127.0.0.1:9", region="us-east-1",
        client_config=s3_client_config(connect_timeout=0.2, read_timeout=0.2))}  # fmt: skip
    public = client.get("/healthz")
    assert public.status_code == 503
    assert public.json() == {"status": "fail"} and b"127.0.0.1" not in public.content
    detailed = client.get("/healthz", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert detailed["checks"]["storage"]["ok"] is False
    assert detailed["checks"]["database"]["ok"] is True


def test_healthz_fails_when_the_bucket_is_missing(admin_client, settings, moto_endpoint) -> None:
    # given a reachable S3 endpoint (moto over HTTP) without the configured bucket
    settings.STORAGES = {**settings.STORAGES, **s3_storages(
        bucket="dam-bucket-that-does-not-exist", endpoint_url=moto_endpoint, region=S3_REGION)}  # fmt: skip
    # when
    response = admin_client.get("/healthz")
    # then
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False


def test_healthz_passes_on_an_existing_bucket(admin_client, s3_storage) -> None:
    response = admin_client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["storage"]["ok"] is True


def test_metrics_count_renders_per_spec(client, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    client.get(services.named_url(asset, RenditionSpec.objects.get(name="og")))
    text = client.get("/metrics").content.decode()
    assert 'dam_renders_total{spec="og"}' in text
    assert 'dam_render_seconds_bucket{le="0.05",spec="og"}' in text


@pytest.mark.parametrize(
    ("authorization", "status"),
    [("", 401), ("Bearer wrong", 401), ("Basic bWV0cmljczp4", 401), ("Bearer metrics-token", 200)],
)
def test_metrics_can_be_closed_with_a_token(client, settings, authorization, status) -> None:
    settings.DAM_METRICS_TOKEN = "metrics-token"
    response = client.get("/metrics", headers={"Authorization": authorization})
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer") and b"dam_render" not in response.content
