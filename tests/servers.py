"""Real servers for tests: gunicorn in its own process, on the test database and storage."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    """The test database, for a process of its own."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", self.log.read_text())]


@contextmanager
def gunicorn(var_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``gunicorn dam.wsgi *args`` on the test database, files under ``var_dir``; its stdout and
    stderr go to ``var_dir/../gunicorn.log``."""
    port = free_port()
    log = var_dir.parent / "gunicorn.log"
    environment = {**os.environ, "DATABASE_URL": database_url(), "DAM_VAR_DIR": str(var_dir),
                   "DAM_SECRET_KEY": "test", "DAM_LOG_LEVEL": "INFO",
                   # signed URLs the test builds must verify in the server
                   "DAM_URL_SIGNING_KEYS": ",".join(settings.DAM_URL_SIGNING_KEYS), **(env or {})}  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dam.wsgi", "--bind", f"127.0.0.1:{port}", *args],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(server: Server) -> None:
    for _ in range(200):
        assert server.process.poll() is None, f"gunicorn exited: {server.log.read_text()[-2000:]}"
        try:
            requests.get(f"{server.url}/readyz", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")
