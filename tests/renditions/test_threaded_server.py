"""Renders in a threaded gunicorn worker, as production runs them (``-k gthread``)."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from PIL import Image

from assets.ingest import ingest
from renditions import services
from renditions.models import Rendition
from renditions.specs import Spec
from tests.servers import gunicorn

pytestmark = pytest.mark.django_db(transaction=True)
RENDERS = 40
THREADS = 4


def photo_like(size: tuple[int, int]) -> bytes:
    """Noise, so that encoding takes long enough for renders to overlap in the encoder."""
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.mark.slow
def test_concurrent_renders_in_a_threaded_worker_are_all_logged(tmp_path: Path) -> None:
    # given 40 renditions nobody has asked for yet, and one gunicorn worker with 4 threads
    asset = ingest(io.BytesIO(photo_like((1600, 1200))), filename="noise.jpg")
    urls = [services.adhoc_url(asset, Spec.parse(f"width-{900 + i}|format-webp")) for i in range(RENDERS)]
    threads = ["--workers", "1", "--threads", str(THREADS), "--worker-class", "gthread", "--timeout", "120"]
    env = {"DAM_DELIVERY": "proxy", "DAM_RENDER_SLOTS": str(THREADS), "DAM_RENDER_WAIT_SECONDS": "60"}
    with gunicorn(tmp_path / "var", *threads, env=env) as server:
        # when they are all asked for, THREADS at a time
        with ThreadPoolExecutor(THREADS) as pool:
            statuses = list(
                pool.map(lambda url: requests.get(server.url + url, timeout=120).status_code, urls)
            )
        [worker] = server.worker_pids()
        stderr_target = os.readlink(f"/proc/{worker}/fd/2")
    # then every render was made and logged, and the worker's stderr still goes to its log
    log = server.log.read_text()
    assert statuses == [200] * RENDERS, log[-3000:]
    assert Rendition.objects.count() == RENDERS
    assert log.count("rendered asset=") == RENDERS, log[-3000:]
    assert stderr_target == str(server.log)


def test_encoding_never_redirects_the_process_stderr(monkeypatch) -> None:
    """The deterministic half of the test above: no render touches file descriptor 2 (the race
    itself needs two encodes to overlap; this sees the swap that makes it possible)."""
    # given a recorder around the real os.dup2 (it still does its work)
    from renditions import generators, pipeline

    swapped: list[tuple[int, int]] = []
    real_dup2 = os.dup2

    def recording_dup2(fd: int, fd2: int, inheritable: bool = True) -> int:
        swapped.append((fd, fd2))
        return real_dup2(fd, fd2, inheritable)

    monkeypatch.setattr(os, "dup2", recording_dup2)
    # when renders are encoded in every output format
    for fmt in ("jpeg", "png", "webp", "gif", "avif"):
        made = generators.generate(io.BytesIO(photo_like((64, 48))), Spec.parse(f"width-32|format-{fmt}"),
                                   source_format="JPEG", focal_point=None, limits=pipeline.RenderLimits())  # fmt: skip
        assert made.width == 32
    # then
    assert [pair for pair in swapped if pair[1] == 2] == []
