"""The load generator: N asyncio clients through nginx, each with its own API key.

Each client loops over a weighted mix of what the Rails app and editors do: multipart uploads,
direct uploads (start → POST the file to S3 → complete, retrying as docs/api.md tells clients),
list and detail calls, first requests of never-made renditions (named and signed ad-hoc ones,
with browsers' Accept headers) and warm hits. Every answer is recorded with its time, so the
suite can say what clients saw during a fault and when errors stopped.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
TIMEOUT = httpx.Timeout(60.0, connect=5.0)
ACCEPTS = ("image/avif,image/webp,image/apng,image/*,*/*;q=0.8", "image/webp,*/*", "*/*")
LAZY_SPECS = ("medium", "large", "hero", "og")  # not eager: their first request renders
WEIGHTS = {"upload": 3, "direct": 2, "list": 3, "detail": 4, "cold": 4, "adhoc": 1, "warm": 8}
THINK_SECONDS = (0.05, 0.15)  # between two calls of one client, as a real one pauses
COMPLETE_PATIENCE = 120.0  # seconds a client keeps retrying `complete` (503 / 409 with Retry-After)


def make_image(seed: int, size: tuple[int, int] = (480, 360)) -> bytes:
    """A small, distinct photo-like JPEG (a gradient with noise), different for every seed."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.effect_noise(size, 40).convert("RGB")
    tint = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image = Image.blend(Image.blend(base, noise, 0.3), tint, 0.4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass
class Answer:
    at: float  # monotonic seconds
    op: str
    status: int  # 0: no HTTP answer (connection error or timeout)
    retry_after: bool
    upstream: str  # "app" or "s3" (the direct upload's POST goes to storage, not dam)
    error: str = ""


@dataclass
class Load:
    base_url: str
    api_keys: list[str]
    seed: int = 0
    answers: list[Answer] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # asset id → how (upload/direct)
    sent_uploads: set[str] = field(default_factory=set)  # direct uploads whose file reached S3
    completed_uploads: set[str] = field(default_factory=set)
    renditions: dict[str, dict[str, str]] = field(default_factory=dict)  # asset → spec → url
    warm: list[tuple[str, str]] = field(default_factory=list)  # (url, accept) answered 302/200
    counter: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._client(key, index, stop) for index, key in enumerate(self.api_keys)))

    def run_in_thread(self) -> tuple[Any, Any]:
        """Start the clients in a thread of their own; returns (stop, join) callables."""
        import threading

        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        thread = threading.Thread(target=lambda: loop.run_until_complete(self.run(stop)), daemon=True)
        thread.start()

        def halt() -> None:
            loop.call_soon_threadsafe(stop.set)
            thread.join(COMPLETE_PATIENCE + 60)
            loop.close()

        return halt, thread

    async def _client(self, key: str, index: int, stop: asyncio.Event) -> None:
        rng = random.Random(self.seed * 1000 + index)
        headers = {"Authorization": f"Api-Key {key}"}
        limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=TIMEOUT,
                                     limits=limits, follow_redirects=False) as client:  # fmt: skip
            ops, weights = zip(*WEIGHTS.items(), strict=True)
            while not stop.is_set():
                op = rng.choices(ops, weights)[0]
                await getattr(self, f"_{op}")(client, rng)
                await asyncio.sleep(rng.uniform(*THINK_SECONDS))

    # --- recording --------------------------------------------------------------------------------

    async def _call(self, client: httpx.AsyncClient, op: str, method: str, url: str, *,
                    upstream: str = "app", **kwargs: Any) -> httpx.Response | None:  # fmt: skip
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.answers.append(Answer(time.monotonic(), op, 0, False, upstream, type(exc).__name__))
            return None
        detail = response.text[:200] if response.status_code >= 500 else ""
        self.answers.append(Answer(time.monotonic(), op, response.status_code,
                                   "retry-after" in response.headers, upstream, detail))  # fmt: skip
        return response

    def _remember(self, asset: dict[str, Any], how: str) -> None:
        self.created[asset["id"]] = how
        self.renditions[asset["id"]] = {name: info["url"] for name, info in asset["renditions"].items()}

    def _next_image(self) -> bytes:
        self.counter += 1
        return make_image(self.seed * 100_000 + self.counter)

    # --- the operations --------------------------------------------------------------------------

    async def _upload(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        files = {"file": ("photo.jpg", self._next_image(), "image/jpeg")}
        response = await self._call(client, "upload", "POST", "/api/v1/assets/", files=files,
                                    data={"title": "load", "tags": "load"})  # fmt: skip
        if response is not None and response.status_code == 201:
            self._remember(response.json(), "upload")

    async def _direct(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        data = self._next_image()
        started = await self._call(client, "direct-start", "POST", "/api/v1/uploads/",
                                   json={"filename": "direct.jpg", "content_type": "image/jpeg",
                                         "byte_size": len(data)})  # fmt: skip
        if started is None or started.status_code != 201:
            return
        upload_id, how = started.json()["upload"]["id"], started.json()["instructions"]
        files = {how["file_field"]: ("direct.jpg", data, "image/jpeg")}
        async with httpx.AsyncClient(timeout=TIMEOUT) as storage:  # no API key goes to storage
            for _ in range(5):  # a client retries its upload to storage a few times
                sent = await self._call(storage, "direct-send", how["method"], how["url"], upstream="s3",
                                        data=how["fields"], files=files)  # fmt: skip
                if sent is not None and sent.status_code < 300:
                    break
                await asyncio.sleep(1)
            else:
                return  # abandoned: a pending upload that prune removes later
        self.sent_uploads.add(upload_id)
        deadline = time.monotonic() + COMPLETE_PATIENCE
        while time.monotonic() < deadline:
            done = await self._call(
                client, "direct-complete", "POST", f"/api/v1/uploads/{upload_id}/complete/"
            )
            if done is not None and done.status_code in (200, 201):
                self.completed_uploads.add(upload_id)
                self._remember(done.json(), "direct")
                return
            retry = done is None or done.status_code in (409, 502, 503) or done.status_code >= 500
            if not retry:
                return
            wait = float(done.headers.get("Retry-After", 1)) if done is not None else 1.0
            await asyncio.sleep(min(wait, 5))

    async def _list(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        await self._call(client, "list", "GET", "/api/v1/assets/", params={"page_size": 20})

    async def _detail(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        if self.created:
            asset_id = rng.choice(list(self.created))
            await self._call(client, "detail", "GET", f"/api/v1/assets/{asset_id}/")

    async def _cold(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        fresh = [(a, s) for a, specs in self.renditions.items() for s in LAZY_SPECS if s in specs]
        if not fresh:
            return
        asset_id, spec = rng.choice(fresh)
        url = self.renditions[asset_id].pop(spec)  # asked once: every cold request is a first one
        await self._get_rendition(client, rng, "cold", url)

    async def _adhoc(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        if not self.created:
            return
        asset_id = rng.choice(list(self.created))
        spec = f"fit-{rng.randrange(64, 400)}x{rng.randrange(64, 400)}|format-{rng.choice(['webp', 'jpeg', 'auto'])}"
        signed = await self._call(client, "adhoc-sign", "POST", f"/api/v1/assets/{asset_id}/urls/",
                                  json={"specs": [spec]})  # fmt: skip
        if signed is not None and signed.status_code == 200:
            await self._get_rendition(client, rng, "adhoc", signed.json()["urls"][0]["url"])

    async def _warm(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        if self.warm:
            url, accept = rng.choice(self.warm)
            await self._call(client, "warm", "GET", url, headers={"Accept": accept})

    async def _get_rendition(self, client: httpx.AsyncClient, rng: random.Random, op: str, url: str) -> None:
        accept = rng.choice(ACCEPTS)
        response = await self._call(client, op, "GET", url, headers={"Accept": accept})
        if response is not None and response.status_code in (200, 302):
            self.warm.append((url, accept))
