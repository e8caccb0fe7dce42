"""The cluster under test: deploy/cluster.py's `make cluster`, with the fault proxy in front of S3.

One cluster for the whole module of fault tests (starting one costs ~20 s); it lives in pytest's
temporary directory with its own PostgreSQL, Redis, moto, nginx, 2 web nodes and 2 workers on
free ports. Needs nginx, redis-server and PostgreSQL's binaries: locally the suite skips when
one is missing; in CI (DAM_REQUIRE_SERVICES=1) it fails instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.cluster import ROOT, Cluster
from tests.cluster.s3proxy import FaultProxy

# Production settings an operator of this cluster would choose (environment only):
CLUSTER_ENV = {
    # Renders here take well under a second; a lease held by a killed process frees after 20 s
    # (the default 60 s suits slower originals) so the suite's recovery stays short.
    "DAM_RENDER_LEASE_SECONDS": "20",
    "DAM_LOG_LEVEL": "INFO",
    # Per key; each load client has its own key and makes well under 100 calls a minute.
    "DAM_API_THROTTLE_RATE": "300/min",
    # A `complete` cut off by a fault is taken over by the client's retry after this (above
    # gunicorn's 60 s request timeout, as the README asks; the default is 300 s).
    "DAM_UPLOAD_COMPLETE_TIMEOUT": "75",
}


def _missing_tools() -> list[str]:
    needed = {"nginx": shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"),
              "redis-server": shutil.which("redis-server"),
              "PostgreSQL (initdb)": list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))}  # fmt: skip
    return [name for name, found in needed.items() if not found]


@pytest.fixture(scope="session")
def running_cluster() -> Iterator[tuple[Cluster, FaultProxy]]:
    if missing := _missing_tools():
        message = (
            f"the cluster suite needs {', '.join(missing)} (apt-get install nginx redis-server postgresql)"
        )
        if os.environ.get("DAM_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    # Not pytest's tmp_path: other pytest runs on the machine prune old base directories, and
    # this one holds a live database. Kept after the run for its logs; the next run replaces it.
    directory = ROOT / "var" / "cluster-test"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    cluster = Cluster(directory, extra_env=CLUSTER_ENV)
    proxy: FaultProxy | None = None
    try:
        cluster.start_backends()
        proxy = FaultProxy(cluster.ports["moto"])
        cluster.start_app(s3_endpoint=proxy.start())
        yield cluster, proxy
    finally:
        cluster.stop()
        if proxy is not None:
            proxy.stop()


@pytest.fixture(scope="session")
def cluster(running_cluster: tuple[Cluster, FaultProxy]) -> Cluster:
    return running_cluster[0]


@pytest.fixture(scope="session")
def s3_faults(running_cluster: tuple[Cluster, FaultProxy]) -> FaultProxy:
    return running_cluster[1]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.cluster.report import lines

    for line in lines():
        terminalreporter.write_line(line)
