"""What the suite asserts after each fault and at the end, read from the cluster's own parts:
its PostgreSQL, its S3 (moto directly, never through the fault proxy), its logs, and
``manage.py verify_storage`` run as an operator would."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import boto3
import psycopg

from deploy.cluster import BUCKET, ROOT, Cluster
from tests.cluster.load import Answer

RENDERED = re.compile(r"rendered asset=(\S+) key=(\S+)")
READY_TIMEOUT = 120.0  # eager renders retry with backoff (5, 10, 20 s …) after a fault


def issue_keys(cluster: Cluster, count: int) -> list[str]:
    """API keys for the load's clients (one each: throttling is per key)."""
    code = ("from assets.models import ApiKey\n"
            f"for i in range({count}): print('KEY', ApiKey.issue(f'load-{{i}}')[1])")  # fmt: skip
    out = cluster.manage("shell", "-c", code, env=cluster.app_env)
    return [line.split()[1] for line in out.splitlines() if line.startswith("KEY ")]


def statuses(cluster: Cluster, ids: Iterable[str]) -> dict[str, str]:
    with psycopg.connect(cluster.postgres.url.replace("postgres://", "postgresql://")) as db:
        rows = db.execute("SELECT id::text, status FROM assets_asset WHERE id::text = ANY(%s)", [list(ids)])
        return dict(rows.fetchall())


def wait_ready(cluster: Cluster, ids: set[str], timeout: float = READY_TIMEOUT) -> dict[str, str]:
    """Every asset answered 201 exists and reaches ``ready``; returns those that did not."""
    deadline = time.monotonic() + timeout
    while True:
        found = statuses(cluster, ids)
        pending = {i: found.get(i, "missing") for i in ids if found.get(i) != "ready"}
        if not pending or time.monotonic() > deadline or "missing" in pending.values():
            return pending
        time.sleep(1)


def originals_missing(cluster: Cluster, ids: set[str]) -> list[str]:
    with psycopg.connect(cluster.postgres.url.replace("postgres://", "postgresql://")) as db:
        files = [
            r[0] for r in db.execute("SELECT file FROM assets_asset WHERE id::text = ANY(%s)", [list(ids)])
        ]
    stored = stored_keys(cluster)
    return [name for name in files if f"originals/{name}" not in stored]


def stored_keys(cluster: Cluster) -> set[str]:
    s3 = boto3.client("s3", endpoint_url=cluster.moto_url, region_name="us-east-1",
                      aws_access_key_id="cluster", aws_secret_access_key="cluster")  # fmt: skip
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {obj["Key"] for page in pages for obj in page.get("Contents", [])}


def verify_storage(cluster: Cluster) -> tuple[int, str]:
    """``verify_storage --orphans --grace 0`` against S3 itself (not through the fault proxy)."""
    env = {**cluster.app_env, "AWS_S3_ENDPOINT_URL": cluster.moto_url}
    done = subprocess.run([sys.executable, "manage.py", "verify_storage", "--orphans", "--grace", "0", "-v", "0"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def duplicate_renders(cluster: Cluster) -> dict[tuple[str, str], int]:
    """Renditions whose render completed more than once, across every web node and worker."""
    made = Counter(m.groups() for line in cluster.log_lines() if (m := RENDERED.search(line)))
    return {key: n for key, n in made.items() if n > 1}


def render_count(cluster: Cluster) -> int:
    return sum(1 for line in cluster.log_lines() if RENDERED.search(line))


@dataclass
class Window:
    """What the app's answers looked like around one fault."""

    name: str
    started: float
    cleared: float
    answers: list[Answer]
    allowed: frozenset[int] = frozenset({503})
    seen: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for a in self.app_answers:
            if a.status >= 500 or a.status == 0:
                self.seen[_label(a)] += 1

    @property
    def app_answers(self) -> list[Answer]:
        return [a for a in self.answers if a.upstream == "app"]

    def errors(self) -> list[Answer]:
        return [a for a in self.app_answers if a.status >= 500 or a.status == 0]

    def before(self) -> list[Answer]:
        return [a for a in self.errors() if a.at < self.started]

    def forbidden(self) -> list[Answer]:
        """500s anywhere; 503 without Retry-After; any other 5xx the fault does not explain."""
        return [a for a in self.errors() if a.status == 500 or (a.status == 503 and not a.retry_after)
                or a.status not in self.allowed]  # fmt: skip

    def recovery_seconds(self) -> float:
        late = [a.at for a in self.errors() if a.at > self.cleared]
        return max(late) - self.cleared if late else 0.0

    def clients_saw(self) -> str:
        if not self.seen:
            return "no errors"
        return ", ".join(f"{label} ×{n}" for label, n in self.seen.most_common())

    def summary(self) -> str:
        total = Counter(a.op for a in self.app_answers)
        return f"{len(self.app_answers)} answers ({dict(total)}); errors: {self.clients_saw()}"


def _label(answer: Answer) -> str:
    if answer.status == 0:
        return f"connection error ({answer.error})"
    if answer.status == 503:
        return "503 + Retry-After" if answer.retry_after else "503 WITHOUT Retry-After"
    return str(answer.status)


def quiet_since(answers: list[Answer], since: float) -> float:
    """Seconds since the last app error (or since ``since``, whichever is later)."""
    late = [
        a.at for a in answers if a.upstream == "app" and (a.status >= 500 or a.status == 0) and a.at > since
    ]
    return time.monotonic() - max([since, *late])
