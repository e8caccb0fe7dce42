from __future__ import annotations

import io

import pytest
from rest_framework.test import APIClient

from assets.ingest import AssetFields, ingest
from assets.models import ApiKey, Asset
from tests import images


@pytest.fixture
def api(db) -> APIClient:
    _, raw = ApiKey.issue("rails")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def read_only_api(db) -> APIClient:
    _, raw = ApiKey.issue("reader", read_only=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def make_asset(storage):
    def make(name: str = "photo.jpg", data: bytes | None = None, **fields) -> Asset:
        return ingest(io.BytesIO(data or images.jpeg((120, 80))), filename=name, fields=AssetFields(**fields))

    return make


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body
