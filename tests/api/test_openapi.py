"""The OpenAPI schema: served, browsable, and the committed copy is current."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_committed_schema_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(fresh), "--validate", "--fail-on-warn")
    assert fresh.read_text() == COMMITTED.read_text(), "docs/openapi.yaml is stale: run `make schema`"


@pytest.mark.django_db
def test_schema_and_docs_are_served(client) -> None:
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/assets/" in schema.content
    assert b"ApiKey" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
