"""A Node.js client, written from docs/api.md alone, reaches every flow against a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from assets.models import ApiKey
from tests import images

pytestmark = pytest.mark.django_db(transaction=True)
CLIENT = Path(__file__).parent / "clients" / "flows.mjs"


def test_node_client_reaches_every_flow(live_server, settings, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("DAM_REQUIRE_SERVICES"):
            pytest.fail("node is required in CI for the other-language client test")
        pytest.skip("node is not installed")
    settings.DAM_DELIVERY = "proxy"
    _, raw = ApiKey.issue("node")
    (tmp_path / "photo.jpg").write_bytes(images.jpeg((320, 240)))
    (tmp_path / "evil.jpg").write_bytes(images.html())
    env = {**os.environ, "DAM_URL": live_server.url, "DAM_API_KEY": raw,
           "DAM_SIGNING_KEY": settings.DAM_URL_SIGNING_KEYS[0],
           "IMAGE": str(tmp_path / "photo.jpg"), "BAD": str(tmp_path / "evil.jpg")}  # fmt: skip
    result = subprocess.run([node, str(CLIENT)], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout and " FAIL " not in result.stdout
