"""A real gunicorn worker survives the lossless-JPEG class: uploading it and rendering it over
HTTP answer (201/200, or a 4xx for the variants dam refuses) and the worker's PID never changes.

Before the fix, libjpeg-turbo's scaled decode of an 8-bit lossless JPEG (SOF3) overflowed its heap
during validation and the worker died with SIGSEGV/SIGABRT on every path."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests import images

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _embedded_env(var_dir: Path) -> dict[str, str]:
    """The embedded default (SQLite and files under var_dir), whatever the test run uses."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "DATABASE_URL", "DAM_", "DJANGO_", "PYTEST"))}  # fmt: skip
    env.update(DAM_VAR_DIR=str(var_dir), DAM_DELIVERY="proxy", DAM_LOG_LEVEL="WARNING",
               DJANGO_SETTINGS_MODULE="dam.settings")  # fmt: skip
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180, check=True)  # fmt: skip
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    if not Path("/proc/self/task").exists():
        pytest.skip("reads worker PIDs from /proc (Linux)")
    env = _embedded_env(tmp_path_factory.mktemp("worker-var"))
    _manage(env, "migrate", "--no-input", "--verbosity", "0")
    key = _manage(env, "create_api_key", f"worker-test-{uuid.uuid4().hex[:6]}")
    port = _free_port()
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dam.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "-k", "gthread",
         "--threads", "2", "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (_workers(master.pid) and _accepts(port)):
            time.sleep(0.2)
        assert _workers(master.pid), "gunicorn did not start a worker"
        yield f"http://127.0.0.1:{port}", key, master.pid
    finally:
        master.terminate()
        master.wait(timeout=30)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def _upload(base: str, key: str, data: bytes) -> requests.Response:
    return requests.post(f"{base}/api/v1/assets/", files={"file": ("l.jpg", data, "image/jpeg")},
                         headers={"Authorization": f"Api-Key {key}"}, timeout=60)  # fmt: skip


def test_a_worker_survives_uploading_and_rendering_lossless_jpegs(server: tuple[str, str, int]) -> None:
    base, key, master = server
    # given the one worker's PID
    (worker,) = _workers(master)
    # when an 8-bit lossless JPEG is uploaded
    accepted = _upload(base, key, images.lossless_jpeg((640, 480)))
    # then it is an asset, and every named rendition (thumbnails would use scaled decoding) renders
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert (body["format"], body["width"], body["height"]) == ("JPEG", 640, 480)
    for name, rendition in body["renditions"].items():
        response = requests.get(rendition["url"], headers={"Accept": "image/webp,*/*"}, timeout=60)
        assert response.status_code == 200, (name, response.text)
    # and the variants dam refuses are refused with their code, not by a dead worker
    for refused, code in [(images.lossless_jpeg((64, 48), precision=16), "unsupported_format"),
                          (images.lossless_jpeg((640, 480))[:1500], "corrupt_image"),
                          (images.with_sof(images.jpeg(), 0xC7), "unsupported_format")]:  # fmt: skip
        response = _upload(base, key, refused)
        assert response.status_code == 400 and json.loads(response.text)["code"] == code, response.text
    # and the worker that did all this is still the same process
    assert _workers(master) == [worker]
