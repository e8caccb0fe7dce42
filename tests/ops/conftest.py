from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

import pytest

REDIS_URL = os.environ.get("DAM_REDIS_URL", "redis://127.0.0.1:6379/0")


class Receiver:
    """A real HTTP endpoint on loopback that records what it is sent (the consuming app)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.script: list[int] = []  # statuses to answer first, in order (then `status`)
        self.delay = 0.0  # seconds before answering: a slow consuming app
        self.accepted: list[tuple[dict[str, str], bytes]] = []  # the requests answered 2xx
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                time.sleep(receiver.delay)
                with receiver._lock:
                    status = receiver.script.pop(0) if receiver.script else receiver.status
                    receiver.requests.append((headers, body))
                    if 200 <= status < 300:
                        receiver.accepted.append((headers, body))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks")
                receiver.arrived.set()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/dam"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[str]:
        return [json.loads(body)["event"] for _, body in self.requests]

    def accepted_events(self) -> list[str]:
        return [json.loads(body)["event"] for _, body in self.accepted]

    def wait_for(self, condition, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met in {seconds} s; got {self.events()}")
            time.sleep(0.02)


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The receiver is on loopback, which webhooks refuse unless private addresses are allowed.
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.server.shutdown()


def _redis_reachable() -> bool:
    parsed = urlparse(REDIS_URL)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def broker(settings) -> Iterator[str]:
    """This process sends tasks to Redis (not in-process) on a queue of its own."""
    if not _redis_reachable():
        if os.environ.get("DAM_REQUIRE_SERVICES"):
            pytest.fail(f"Redis is required in CI and unreachable at {REDIS_URL}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    from dam.celery import app

    queue = f"dam-test-{uuid.uuid4().hex[:8]}"
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue)
    app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue = False, REDIS_URL, queue
    _forget_connections(app)  # an earlier test may have pooled a connection to memory://
    yield queue
    app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue = saved
    _forget_connections(app)


def _forget_connections(app: Any) -> None:
    """Celery caches its broker connection pool and routing; rebuild them from app.conf."""
    app._pool = None
    app.amqp._producer_pool = None
    for cached in ("queues", "router", "_rtable"):
        app.amqp.__dict__.pop(cached, None)
