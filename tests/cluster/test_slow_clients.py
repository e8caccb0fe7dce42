"""Slow clients (security review item 4): 16 bodies trickled a byte at a time no longer freeze the
app behind the nginx front (it buffers whole requests before a web node sees them); straight at a
gunicorn node, the same trickle holds every thread (the control that shows the test can fail).
Oversized bodies are refused by nginx before anything is read."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from deploy.cluster import Cluster

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

SLOW_CLIENTS = 16
TRICKLE_SECONDS = 8.0
BODY = b"username=admin&password=" + b"x" * 200


def _trickle(port: int, stop: threading.Event) -> None:
    """POST /admin/login/ whose body arrives one byte every 0.25 s (inside nginx's body timeout)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         + f"Content-Length: {len(BODY)}\r\n\r\n".encode())  # fmt: skip
            for byte in BODY:
                if stop.is_set():
                    return
                sock.sendall(bytes([byte]))
                time.sleep(0.25)
    except OSError:
        return


def _slowest_answer_while_trickling(cluster: Cluster, port: int) -> float:
    stop = threading.Event()
    trickles = [
        threading.Thread(target=_trickle, args=(port, stop), daemon=True) for _ in range(SLOW_CLIENTS)
    ]
    for thread in trickles:
        thread.start()
    time.sleep(1.0)  # every slow client is connected and has sent its headers
    slowest, deadline = 0.0, time.monotonic() + TRICKLE_SECONDS
    try:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=TRICKLE_SECONDS).raise_for_status()
                slowest = max(slowest, time.monotonic() - started)
            except httpx.HTTPError:
                slowest = max(slowest, TRICKLE_SECONDS)
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in trickles:
            thread.join(10)
    return slowest


def test_sixteen_slow_bodies_do_not_freeze_the_app_behind_nginx(cluster: Cluster) -> None:
    # given 16 clients trickling login bodies through the nginx front
    # when a normal request is made meanwhile, again and again
    slowest = _slowest_answer_while_trickling(cluster, cluster.ports["nginx"])
    # then every one answers quickly
    assert slowest < 1.0, f"a normal request took {slowest:.2f} s while 16 slow bodies trickled"


def test_the_same_trickle_straight_at_gunicorn_freezes_it(cluster: Cluster) -> None:
    # given the same 16 slow clients, sent to a web node directly (2 workers × 4 threads)
    # when / then a normal request waits for them (why the front is required in production)
    slowest = _slowest_answer_while_trickling(cluster, cluster.ports["web2"])
    assert slowest >= 2.0, f"expected gunicorn alone to stall, slowest answer {slowest:.2f} s"


def test_a_body_over_the_cap_is_refused_before_it_is_read(cluster: Cluster) -> None:
    # given a declared body larger than client_max_body_size (51 MiB)
    with socket.create_connection(("127.0.0.1", cluster.ports["nginx"]), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/assets/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
                     b"Content-Length: 60000000\r\n\r\n")  # fmt: skip
        # when nothing more is sent / then nginx answers 413 at once
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
