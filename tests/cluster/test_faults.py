"""Faults under load, one after another on one cluster (Jepsen-style: a schedule, then checks).

For each fault: 12 clients run through nginx; after a few seconds the fault is injected; when it
clears, the load runs on until the app has answered without error for QUIET_SECONDS (at most
RECOVERY_BOUND_SECONDS); then the load stops and the checks run on the quiet cluster:

* during the fault clients saw only 503 with Retry-After (plus 502 / connection errors for the
  requests in flight on a killed web node), never 500, and nothing before the fault;
* errors stopped within RECOVERY_BOUND_SECONDS of the fault clearing;
* every upload answered 201 exists, has its original in S3 and reaches ``ready``; every direct
  upload whose file reached S3 was completed;
* ``verify_storage --orphans`` finds no row without its object and no orphan object;
* no rendition was rendered twice (the render log lines of every node and worker).

The table docs/operations.md shows is printed at the end of the run.
"""

from __future__ import annotations

import io
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import httpx
import psycopg
import pytest
from PIL import Image

from deploy.cluster import BUCKET, Cluster
from tests.cluster import checks
from tests.cluster.checks import Window
from tests.cluster.load import Load
from tests.cluster.report import FAULTS
from tests.cluster.s3proxy import FaultProxy

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

CLIENTS = 12
WARMUP_SECONDS = 5.0
QUIET_SECONDS = 8.0  # error-free this long after the fault clears = recovered
RECOVERY_BOUND_SECONDS = 30.0  # the stated bound: errors stop within this after a fault clears
S3_FAULT = [("reset", 7.0), ("error", 7.0), ("latency", 6.0)]  # 20 s in all
POSTGRES_DOWN_SECONDS = 10.0
WEB_NODE_DOWN_SECONDS = 5.0


@pytest.fixture(scope="module")
def keys(cluster: Cluster) -> list[str]:
    return checks.issue_keys(cluster, CLIENTS)


def exercise(cluster: Cluster, keys: list[str], name: str, inject: Callable[[], tuple[float, float]],
             *, seed: int, allowed: frozenset[int] = frozenset({503})) -> tuple[Window, Load]:  # fmt: skip
    load = Load(cluster.url, keys, seed=seed)
    halt, _ = load.run_in_thread()
    try:
        time.sleep(WARMUP_SECONDS)
        started, cleared = inject()
        deadline = cleared + RECOVERY_BOUND_SECONDS + QUIET_SECONDS
        while checks.quiet_since(load.answers, cleared) < QUIET_SECONDS and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        halt()
    return Window(name, started, cleared, list(load.answers), allowed), load


def check_and_report(cluster: Cluster, window: Window, load: Load, *, data_note: str = "",
                     orphans_allowed: int = 0) -> None:  # fmt: skip
    # given the load is over; then what clients saw was only the fault's own answers
    assert len(load.created) >= 5, f"the load made too little progress: {window.summary()}"
    assert not window.before(), f"errors before the fault: {window.before()[:5]}"
    assert not window.forbidden(), f"forbidden answers: {window.forbidden()[:5]}\n{window.summary()}"
    recovery = window.recovery_seconds()
    assert recovery <= RECOVERY_BOUND_SECONDS, f"errors went on {recovery:.1f} s after the fault"
    # and nothing was lost
    lost = load.sent_uploads - load.completed_uploads
    assert not lost, f"direct uploads sent to S3 but never completed: {lost}"
    pending = checks.wait_ready(cluster, set(load.created))
    assert not pending, f"uploads answered 201 that are not ready: {pending}"
    assert not checks.originals_missing(cluster, set(load.created))
    _code, out = checks.verify_storage(cluster)
    assert not [line for line in out.splitlines() if line.startswith("missing ")], out  # -v 0: findings only
    garbage = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("orphan object: ")]
    quarantine = [name for name in garbage if "/" not in name]  # uploads/<id>: a failed cleanup
    orphans = [name for name in garbage if "/" in name]
    assert len(orphans) <= orphans_allowed, f"orphan objects: {orphans}\n{out}"
    assert not checks.duplicate_renders(cluster), checks.duplicate_renders(cluster)
    _clean(cluster, garbage)
    notes = [data_note] if data_note and orphans else []
    if quarantine:
        notes.append(f"{len(quarantine)} quarantined upload(s) left in uploads/ (its lifecycle rule or "
                     "prune_renditions removes them)")  # fmt: skip
    FAULTS.append((window.name, window.clients_saw(), f"{recovery:.1f} s",
                   "none" + (f"; {'; '.join(notes)}" if notes else ""), window.summary()))  # fmt: skip


def _clean(cluster: Cluster, garbage: list[str]) -> None:
    """Leftovers of one fault must not be blamed on the next: delete them from S3 directly."""
    stored = checks.stored_keys(cluster)
    s3 = boto3.client("s3", endpoint_url=cluster.moto_url, region_name="us-east-1",
                      aws_access_key_id="cluster", aws_secret_access_key="cluster")  # fmt: skip
    for name in garbage:
        for prefix in ("uploads/", "originals/", "renditions/"):
            if prefix + name in stored:
                s3.delete_object(Bucket=BUCKET, Key=prefix + name)


# --- the faults -------------------------------------------------------------------------------------


def test_sigkill_a_web_node_then_start_it_again(cluster: Cluster, keys: list[str]) -> None:
    def inject() -> tuple[float, float]:
        started = time.monotonic()
        cluster.procs["web1"].signal(signal.SIGKILL)  # the master and its workers, no goodbye
        time.sleep(WEB_NODE_DOWN_SECONDS)
        cluster.start_web(1)
        return started, time.monotonic()

    window, load = exercise(cluster, keys, "SIGKILL a web node (down 5 s, then restarted)", inject,
                            seed=1, allowed=frozenset({502, 503, 0}))  # fmt: skip
    # Requests in flight on the killed node are lost with it (nginx answers them 502; it retries
    # only what was never sent). An upload killed between storing its original and committing its
    # row leaves that object behind, unreferenced: one per such request at most.
    killed_uploads = sum(1 for a in window.app_answers if a.op in ("upload", "direct-complete")
                         and a.status in (0, 502))  # fmt: skip
    check_and_report(
        cluster,
        window,
        load,
        orphans_allowed=killed_uploads,
        data_note="orphan objects of uploads killed in flight (prune_renditions removes them)",
    )


def test_sigkill_a_worker_in_the_middle_of_a_render(cluster: Cluster, keys: list[str]) -> None:
    killed: list[str] = []

    def inject() -> tuple[float, float]:
        asset_id = _upload_big_original(cluster, keys[0])  # its eager renders take a while
        name, child = _worker_rendering(cluster, asset_id)
        started = time.monotonic()
        os.kill(child, signal.SIGKILL)
        killed.append(name)
        log, deadline = cluster.procs[name].log, time.monotonic() + 30
        while b"WorkerLostError" not in log.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.2)
        return started, time.monotonic()

    window, load = exercise(cluster, keys, "SIGKILL a Celery worker process mid-render", inject, seed=2)
    text = cluster.procs[killed[0]].log.read_text()
    assert "WorkerLostError" in text or "signal 9" in text, text[-3000:]
    check_and_report(cluster, window, load)


def test_restart_redis(cluster: Cluster, keys: list[str]) -> None:
    def inject() -> tuple[float, float]:
        started = time.monotonic()
        cluster.redis.stop()  # SIGTERM: Redis flushes its append-only file and exits
        time.sleep(2)
        cluster.redis.start()
        return started, time.monotonic()

    window, load = exercise(cluster, keys, "restart Redis (broker + cache; down ~2 s)", inject, seed=3)
    check_and_report(cluster, window, load)


def test_s3_fails_for_20_seconds(cluster: Cluster, keys: list[str], s3_faults: FaultProxy) -> None:
    def inject() -> tuple[float, float]:
        started = time.monotonic()
        ends = s3_faults.fail_for(S3_FAULT)
        time.sleep(ends - time.monotonic())
        return started, time.monotonic()

    window, load = exercise(cluster, keys, "S3 fails 20 s (7 s resets, 7 s 503 SlowDown, 6 s +2 s latency)",
                            inject, seed=4)  # fmt: skip
    assert s3_faults.injected["reset"] and s3_faults.injected["error"] and s3_faults.injected["latency"]
    check_and_report(cluster, window, load)


def test_postgresql_stops_for_10_seconds(cluster: Cluster, keys: list[str]) -> None:
    def inject() -> tuple[float, float]:
        started = time.monotonic()
        cluster.postgres.stop()  # fast shutdown: every session is cut
        time.sleep(POSTGRES_DOWN_SECONDS)
        cluster.postgres.start()
        return started, time.monotonic()

    window, load = exercise(cluster, keys, "PostgreSQL stopped for 10 s", inject, seed=5)
    check_and_report(cluster, window, load)


# --- helpers ------------------------------------------------------------------------------------------


def _upload_big_original(cluster: Cluster, key: str) -> str:
    """A noisy PNG: no shrink-on-load for PNG, so its renders take long enough to be caught."""
    noise = Image.merge("RGB", [Image.effect_noise((2400, 1600), 60)] * 3)
    out = io.BytesIO()
    noise.save(out, "PNG", compress_level=1)
    response = httpx.post(f"{cluster.url}/api/v1/assets/", headers={"Authorization": f"Api-Key {key}"},
                          files={"file": ("big.png", out.getvalue(), "image/png")}, timeout=60)  # fmt: skip
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _worker_rendering(cluster: Cluster, asset_id: str, seconds: float = 60.0) -> tuple[str, int]:
    """The worker pool process rendering ``asset_id`` (a render lock is held, its CPU busy). The
    lock is a PostgreSQL advisory lock on a hash of the key: the test sees that one is held."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(cluster.postgres.url.replace("postgres://", "postgresql://"), autocommit=True) as db:
        while time.monotonic() < deadline:
            if not db.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            ).fetchone():
                time.sleep(0.05)
                continue
            pools = {(name, child): _cpu_ticks(child) for name in ("worker1", "worker2")
                     for child in _children(cluster.procs[name].pid)}  # fmt: skip
            time.sleep(0.1)
            busy = [(_cpu_ticks(child) - ticks, name, child) for (name, child), ticks in pools.items()]
            ticks, name, child = max(busy)
            if ticks >= 3:  # ≥ 30 % of a core over 0.1 s while the big render is under way
                return name, child
    raise AssertionError("no worker was caught rendering the big original")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime
