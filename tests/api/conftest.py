from __future__ import annotations

import io

import pytest

from assets.ingest import AssetFields, ingest
from assets.models import Asset
from tests import images


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
