"""Soak: 32 clients through nginx with no fault. Not one 5xx, and no gunicorn worker's memory
grows more than 10 % from the first minute to the last.

CI runs 2 minutes (minute 1 against minute 2); ``DAM_CLUSTER_SOAK_SECONDS=300`` runs the full
5 minutes (minute 1 against minute 5). Workers recycled meanwhile (``max_requests``) restart
their memory from zero; only workers alive in both minutes are compared.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest

from deploy.cluster import Cluster
from tests.cluster import checks
from tests.cluster.load import Load
from tests.cluster.report import SOAK
from tests.cluster.test_faults import _children

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

CLIENTS = 32
SOAK_SECONDS = float(os.environ.get("DAM_CLUSTER_SOAK_SECONDS", "120"))
WARMUP_SECONDS = 30.0  # imports, first connections, caches filling: not counted as growth
SAMPLE_SECONDS = 5.0
MAX_RSS_GROWTH = 0.10


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def test_soak_32_clients_no_5xx_and_flat_memory(cluster: Cluster) -> None:
    # given 32 clients, each with its own key, warmed up
    assert SOAK_SECONDS >= 120, "the soak compares its first minute with its last"
    load = Load(cluster.url, checks.issue_keys(cluster, CLIENTS), seed=99)
    halt, _ = load.run_in_thread()
    samples: dict[int, list[tuple[float, int]]] = {}
    try:
        time.sleep(WARMUP_SECONDS)
        # when it runs for SOAK_SECONDS, sampling every gunicorn worker's RSS
        started = time.monotonic()
        first_answer = len(load.answers)
        while (elapsed := time.monotonic() - started) < SOAK_SECONDS:
            for node in ("web1", "web2"):
                for pid in _children(cluster.procs[node].pid):
                    if (rss := _rss_kib(pid)) is not None:
                        samples.setdefault(pid, []).append((elapsed, rss))
            time.sleep(SAMPLE_SECONDS)
    finally:
        halt()
    answers = load.answers[first_answer:]
    # then no 5xx and no connection error at all
    failures = Counter(
        (a.op, a.status) for a in answers if a.upstream == "app" and (a.status >= 500 or a.status == 0)
    )
    assert not failures, f"soak failures: {failures}"
    # and every worker alive in the first and the last minute grew less than 10 %
    growth = {}
    for pid, series in samples.items():
        first = [rss for t, rss in series if t < 60]
        last = [rss for t, rss in series if t >= SOAK_SECONDS - 60]
        if first and last:
            growth[pid] = (statistics.mean(first), statistics.mean(last))
    assert growth, "no gunicorn worker lived through the whole soak"
    rates = {pid: last / first - 1 for pid, (first, last) in growth.items()}
    pending = checks.wait_ready(cluster, set(load.created))
    assert not pending, pending
    assert not checks.duplicate_renders(cluster)
    ops = Counter(a.op for a in answers if a.upstream == "app")
    per_second = len(answers) / SOAK_SECONDS
    SOAK.extend([
        f"- {CLIENTS} clients for {SOAK_SECONDS:.0f} s after {WARMUP_SECONDS:.0f} s warm-up: "
        f"{len(answers)} answers ({per_second:.0f}/s), 0 5xx; {len(load.created)} uploads, all ready.",
        f"- mix: {dict(ops)}",
        *(f"- gunicorn worker {pid}: RSS {first / 1024:.1f} MiB (minute 1) → {last / 1024:.1f} MiB "
          f"(last minute), {rates[pid] * 100:+.1f} %" for pid, (first, last) in growth.items()),
    ])  # fmt: skip
    assert all(rate < MAX_RSS_GROWTH for rate in rates.values()), rates
