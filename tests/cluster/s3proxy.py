"""A fault-injecting TCP proxy between dam and its S3 endpoint (the moto server).

Healthy, it pipes bytes both ways. During a fault each *request* (the first bytes a client sends
on a connection that is idle, i.e. not waiting for a response) meets the fault of the moment:

* ``reset``: the connection is reset (RST) before the request reaches S3;
* ``error``: S3's ``503 SlowDown`` answers instead of S3;
* ``latency``: the request reaches S3 2 seconds late.

Faults hit pooled keep-alive connections too (their next request), not only new ones. A request
S3 already received always gets its response back: like a real outage seen from the client, a
request either failed before S3 acted on it or completed (never "S3 stored it, reply lost",
which would be an unavoidable orphan, not an app bug).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections import Counter

LATENCY_SECONDS = 2.0
SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
SLOW_DOWN_RESPONSE = (
    b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\n"
    + f"Content-Length: {len(SLOW_DOWN)}\r\n\r\n".encode()
    + SLOW_DOWN
)


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.schedule: list[tuple[float, str]] = []  # (until monotonic, mode), in order
        self.injected: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="s3-fault-proxy", daemon=True)

    # --- control (from the test's thread) ---------------------------------------------------------

    def start(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        return f"http://127.0.0.1:{self.port}"

    def fail_for(self, phases: list[tuple[str, float]]) -> float:
        """Run ``[(mode, seconds), …]`` back to back from now; returns when they end (monotonic)."""
        at, schedule = time.monotonic(), []
        for mode, seconds in phases:
            at += seconds
            schedule.append((at, mode))
        self.schedule = schedule
        return at

    def mode(self) -> str | None:
        now = time.monotonic()
        return next((mode for until, mode in self.schedule if now < until), None)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # --- the proxy (in its own thread's event loop) -------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _reset(client_w)
            return
        idle = [True]  # no request outstanding: the next client bytes start a new one
        tasks = [asyncio.ensure_future(self._client_to_s3(client_r, client_w, upstream_w, idle)),
                 asyncio.ensure_future(_pipe(upstream_r, client_w, idle))]  # fmt: skip
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for writer in (client_w, upstream_w):
            writer.close()

    async def _client_to_s3(self, reader: asyncio.StreamReader, client_w: asyncio.StreamWriter,
                            upstream_w: asyncio.StreamWriter, idle: list[bool]) -> None:  # fmt: skip
        while data := await reader.read(65536):
            mode = self.mode()
            if mode and idle[0]:
                self.injected[mode] += 1
                if mode == "reset":
                    _reset(client_w)
                    return
                if mode == "error":
                    client_w.write(SLOW_DOWN_RESPONSE)
                    await client_w.drain()
                    return
                await asyncio.sleep(LATENCY_SECONDS)
            elif mode in ("reset", "error"):  # the rest of a body that began before the fault
                _reset(client_w)
                return
            idle[0] = False
            upstream_w.write(data)
            await upstream_w.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle: list[bool]) -> None:
    while data := await reader.read(65536):
        idle[0] = True  # a response is coming back: the client's next bytes are a new request
        writer.write(data)
        await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN, as a dropped connection looks to the client."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
