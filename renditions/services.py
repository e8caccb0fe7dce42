"""Rendition services: keys and URLs (computed, never looked up), and get-or-generate with single
flight across processes and bounded renders per process. The delivery view, the admin, the API
and the background tasks all come through here: there is one code path that makes a rendition.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from assets.exceptions import SourceMissing
from assets.models import Asset, effective_focal_point
from dam.storage import originals_storage, renditions_storage
from renditions import generators, metrics, pipeline, signing
from renditions.exceptions import Overloaded, RenderFailed
from renditions.models import RenderLease, Rendition, RenditionSpec, spec_limits
from renditions.specs import Spec, rendition_key

logger = logging.getLogger(__name__)

SPOOL_BYTES = 16 * 1024 * 1024  # originals up to this are fetched into memory, larger to a temp file
POLL_SECONDS = (0.02, 0.05, 0.1, 0.2)  # waiting for another process's render: quick, then calmer


# --- keys and URLs: pure string work on rows already in memory ------------------------------


def url_key(asset: Asset, spec: str) -> str:
    return rendition_key(spec, checksum=asset.sha256, focal_point=asset.focal_point)


def extension(asset: Asset, spec: Spec) -> str | None:
    """The URL's extension, or None for ``format-auto`` (the format depends on ``Accept``)."""
    if spec.is_auto_format:
        return None
    return pipeline.EXTENSIONS[pipeline.output_format(spec, asset.format)]


def _filename(key: str, ext: str | None) -> str:
    return f"{key}.{ext}" if ext else key


def named_url(asset: Asset, named: RenditionSpec, *, base: str = "") -> str:
    spec = parsed(named)
    return f"{base}/r/{asset.id}/{named.name}/{_filename(url_key(asset, named.spec), extension(asset, spec))}"


def adhoc_url(asset: Asset, spec: Spec, *, base: str = "", expires: int | None = None) -> str:
    text = str(spec)
    token = signing.sign(settings.DAM_URL_SIGNING_KEYS, str(asset.id), text, expires)
    filename = _filename(url_key(asset, text), extension(asset, spec))
    return f"{base}/r/{asset.id}/{token}/{quote(text, safe='')}/{filename}"


_parsed_cache: dict[str, Spec] = {}


def parsed(named: RenditionSpec) -> Spec:
    """Specs are parsed once per process per canonical string (a page builds hundreds of URLs)."""
    spec = _parsed_cache.get(named.spec)
    if spec is None:
        spec = _parsed_cache[named.spec] = Spec.parse(named.spec, spec_limits())
    return spec


@dataclass(frozen=True)
class RenditionInfo:
    url: str
    width: int | None
    height: int | None
    content_type: str | None  # None for format-auto: it depends on the client
    status: str  # "ready" (generated) or "pending" (made on first request)

    def as_dict(self) -> dict[str, object]:
        return {"url": self.url, "width": self.width, "height": self.height,
                "content_type": self.content_type, "status": self.status}  # fmt: skip


def named_renditions(
    assets: Iterable[Asset], *, base: str = "", specs: list[RenditionSpec] | None = None
) -> dict[uuid.UUID, dict[str, RenditionInfo]]:
    """Every named rendition of every asset: two queries for the whole page, no storage call."""
    assets = list(assets)
    specs = list(RenditionSpec.objects.all()) if specs is None else specs
    # A page's worth of rows: one plain query (``.iterator()`` would open a server-side cursor on
    # PostgreSQL, three round trips for a few hundred rows).
    made = set(Rendition.objects.for_assets([a.id for a in assets]).values_list("asset_id", "key"))
    result: dict[uuid.UUID, dict[str, RenditionInfo]] = {}
    for asset in assets:
        result[asset.id] = {named.name: _info(asset, named, made, base) for named in specs}
    return result


def _info(asset: Asset, named: RenditionSpec, made: set[tuple[uuid.UUID, str]], base: str) -> RenditionInfo:
    spec = parsed(named)
    ext = extension(asset, spec)
    key = url_key(asset, named.spec)
    width: int | None
    height: int | None
    try:
        width, height = pipeline.geometry(
            spec, (asset.width, asset.height), asset.focal_point, render_limits()
        ).output_size
    except RenderFailed:
        width = height = None
    content_type = pipeline.CONTENT_TYPES[pipeline.output_format(spec, asset.format)] if ext else None
    ready = (asset.id, _filename(key, ext or "")) in made if ext else False
    return RenditionInfo(named_url(asset, named, base=base), width, height, content_type,
                         "ready" if ready else "pending")  # fmt: skip


def render_limits() -> pipeline.RenderLimits:
    return pipeline.RenderLimits(
        max_edge=settings.DAM_MAX_RENDITION_EDGE, max_animation_pixels=settings.DAM_MAX_ANIMATION_PIXELS
    )


# --- what a request asks for --------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A rendition to serve or make: the asset, the concrete spec, the row's key."""

    asset: Asset
    spec: Spec  # with format-auto resolved
    key: str  # url key + "." + extension: the Rendition row's key and storage name
    named: RenditionSpec | None = None
    requested: str = ""  # the canonical spec the URL carries (format-auto unresolved)

    @classmethod
    def build(
        cls, asset: Asset, spec_text: str, *, accept: str = "", named: RenditionSpec | None = None
    ) -> Target:
        spec = Spec.parse(spec_text, spec_limits())
        if spec.is_auto_format:
            animated = asset.frame_count > 1
            spec = spec.with_format(
                pipeline.negotiate_format(accept, has_alpha=asset.has_alpha, animated=animated)
            )
        ext = pipeline.EXTENSIONS[pipeline.output_format(spec, asset.format)]
        requested = str(Spec.parse(spec_text, spec_limits()))
        return cls(asset, spec, f"{url_key(asset, spec_text)}.{ext}", named, requested)

    @classmethod
    def every_variant(cls, asset: Asset, named: RenditionSpec) -> list[Target]:
        """What eager generation and regeneration make: one target, or for ``format-auto`` one
        per format a browser may negotiate."""
        if not parsed(named).is_auto_format:
            return [cls.build(asset, named.spec, named=named)]
        accepts = ("image/avif,image/webp,*/*", "image/webp,*/*", "*/*")
        return list(
            {
                t.key: t for t in (cls.build(asset, named.spec, accept=a, named=named) for a in accepts)
            }.values()
        )


def find(asset_id: uuid.UUID | str, key: str) -> Rendition | None:
    return Rendition.objects.filter(asset_id=asset_id, key=key).first()


@dataclass(frozen=True)
class Stored:
    """What serving a generated rendition needs, and nothing more."""

    key: str
    storage_name: str
    content_type: str
    byte_size: int

    @classmethod
    def of(cls, rendition: Rendition) -> Stored:
        return cls(rendition.key, rendition.storage_name, rendition.content_type, rendition.byte_size)


_HIT_SQL = """
    SELECT r.storage_name, r.content_type, r.byte_size, a.sha256, a.focal_x, a.focal_y,
           a.auto_focal_x, a.auto_focal_y, {spec}
    FROM {rendition} r JOIN {asset} a ON a.id = r.asset_id {join}
    WHERE r.asset_id = %s AND r.key = %s {where}
"""


class HitCache:
    """A small per-process memo of warm hits (DAM_HIT_CACHE_SECONDS; 0 turns it off).

    Safe because what it remembers is immutable: the bytes behind a key never change. The only
    cost is that for up to the TTL an old URL keeps serving its old bytes after a focal point or
    spec edit, rather than redirecting, which a CDN in front (a year of ``immutable``) does anyway.
    """

    max_entries = 50_000
    _entries: OrderedDict[tuple[object, ...], tuple[float, Stored]] = OrderedDict()
    _lock = threading.Lock()

    @classmethod
    def get(cls, key: tuple[object, ...]) -> Stored | None:
        with cls._lock:
            entry = cls._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    @classmethod
    def put(cls, key: tuple[object, ...], value: Stored) -> None:
        ttl = settings.DAM_HIT_CACHE_SECONDS
        if ttl <= 0:
            return
        with cls._lock:
            cls._entries[key] = (time.monotonic() + ttl, value)
            if len(cls._entries) > cls.max_entries:
                cls._entries.popitem(last=False)

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls._entries.clear()

    @classmethod
    def forget(cls, storage_name: str) -> None:
        """Drop what this process remembers about a file storage no longer has (a replaced
        original's renditions): its URL must reach the database again, and be redirected."""
        with cls._lock:
            for key in [k for k, (_, stored) in cls._entries.items() if stored.storage_name == storage_name]:
                del cls._entries[key]


def lookup_hit(
    asset_id: uuid.UUID, filename: str, *, name: str | None = None, spec: str = ""
) -> Stored | None:
    """The warm path: the hit cache, else one indexed query (raw SQL: the ORM's compile step cost
    more than the query itself), then the check that the URL's key is still the current one."""
    memo_key = (asset_id, filename, name, spec)
    if (memo := HitCache.get(memo_key)) is not None:
        return memo
    found = _query_hit(asset_id, filename, name=name, spec=spec)
    if found is not None:
        HitCache.put(memo_key, found)
    return found


def _query_hit(asset_id: uuid.UUID, filename: str, *, name: str | None, spec: str) -> Stored | None:
    named = name is not None
    sql = _HIT_SQL.format(
        rendition=Rendition._meta.db_table, asset=Asset._meta.db_table,
        spec="s.spec" if named else "''",
        join=f"JOIN {RenditionSpec._meta.db_table} s ON s.id = r.spec_id" if named else "",
        where="AND s.name = %s" if named else "",
    )  # fmt: skip
    connection = connections[Rendition.objects.db]
    params: list[Any] = [Asset._meta.pk.get_db_prep_value(asset_id, connection), filename]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, name] if named else params)
        row = cursor.fetchone()
    if row is None:
        return None
    storage_name, content_type, byte_size, checksum, fx, fy, auto_x, auto_y, named_spec = row
    focal = effective_focal_point(fx, fy, auto_x, auto_y)
    current = rendition_key(named_spec if named else spec, checksum=checksum, focal_point=focal)
    return Stored(filename, storage_name, content_type, byte_size) if filename.startswith(current) else None


# --- get or generate ------------------------------------------------------------------------------


def get_or_generate(target: Target) -> Rendition:
    """The rendition for ``target``, made now if needed, by exactly one process in the deployment.

    Others asking for the same rendition meanwhile wait for it (up to DAM_RENDER_WAIT_SECONDS,
    then ``Overloaded``). A lease that expires means a killed process cannot block it for good.
    """
    if found := find(target.asset.id, target.key):
        return found
    deadline = time.monotonic() + settings.DAM_RENDER_WAIT_SECONDS
    lease = Lease(f"{target.asset.id}/{target.key}")
    for attempt in range(10_000):
        if lease.acquire():
            try:
                return find(target.asset.id, target.key) or _generate_in_slot(target, deadline)
            finally:
                lease.release()
        time.sleep(POLL_SECONDS[min(attempt, len(POLL_SECONDS) - 1)])
        if found := find(target.asset.id, target.key):
            return found
        if time.monotonic() >= deadline:
            break
    raise Overloaded("Another process is still rendering this image; try again shortly.")


class Lease:
    def __init__(self, name: str) -> None:
        self.name, self.owner = name[:100], uuid.uuid4().hex

    def acquire(self) -> bool:
        now = timezone.now()
        expires = now + timedelta(seconds=settings.DAM_RENDER_LEASE_SECONDS)
        try:
            with transaction.atomic():
                RenderLease.objects.create(name=self.name, owner=self.owner, expires_at=expires)
            return True
        except IntegrityError:
            # Held by someone. Take it over only if it expired (its holder died mid-render).
            taken = RenderLease.objects.filter(name=self.name, expires_at__lt=now).update(
                owner=self.owner, expires_at=expires
            )
            return taken == 1

    def release(self) -> None:
        RenderLease.objects.filter(name=self.name, owner=self.owner).delete()


class RenderSlots:
    """At most DAM_RENDER_SLOTS renders in flight in this process (back-pressure)."""

    _lock = threading.Lock()
    _semaphore: threading.BoundedSemaphore | None = None
    _size = 0

    @classmethod
    def semaphore(cls) -> threading.BoundedSemaphore:
        with cls._lock:
            if cls._semaphore is None or cls._size != settings.DAM_RENDER_SLOTS:
                cls._size = settings.DAM_RENDER_SLOTS
                cls._semaphore = threading.BoundedSemaphore(cls._size)
            return cls._semaphore


def _generate_in_slot(target: Target, deadline: float) -> Rendition:
    slots = RenderSlots.semaphore()
    if not slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise Overloaded("Every render slot is busy; try again shortly.")
    try:
        return generate(target)
    finally:
        slots.release()


def generate(target: Target) -> Rendition:
    """Render, store, record. Idempotent: the storage name is the content key."""
    asset, started = target.asset, time.perf_counter()
    label = target.named.name if target.named else "adhoc"
    try:
        with _fetch_original(asset) as source:
            fetched = time.perf_counter()
            made = generators.generate(source, target.spec, source_format=asset.format,
                                       focal_point=asset.focal_point, limits=render_limits())  # fmt: skip
    except Exception:
        metrics.FAILURES.labels(label).inc()
        raise
    rendered = time.perf_counter()
    content = ContentFile(made.data)
    content.content_type = pipeline.CONTENT_TYPES[made.format]  # type: ignore[attr-defined]
    try:
        name = renditions_storage().save(f"{asset.id}/{target.key}", content)
    except (BotoCoreError, ClientError) as exc:  # storage down or slow: retry later, never a 500
        metrics.FAILURES.labels(label).inc()
        raise Overloaded("Storage is unavailable; try again shortly.") from exc
    stored = time.perf_counter()
    try:
        row, _ = Rendition.objects.get_or_create(asset=asset, key=target.key, defaults={
            "spec": target.named, "spec_name": target.named.name if target.named else "",
            "spec_string": target.requested or str(target.spec), "storage_name": name,
            "width": made.width, "height": made.height, "format": made.format,
            "content_type": pipeline.CONTENT_TYPES[made.format], "byte_size": len(made.data),
            "frames": made.frames, "render_ms": round((stored - started) * 1000),
        })  # fmt: skip
    except BaseException:
        renditions_storage().delete(name)  # no object without its row
        raise
    metrics.RENDERS.labels(label).inc()
    metrics.LATENCY.labels(label).observe(time.perf_counter() - started)
    logger.info(
        "rendered asset=%s key=%s spec=%s fetch_ms=%.1f render_ms=%.1f store_ms=%.1f bytes=%d",
        asset.id, target.key, target.spec, (fetched - started) * 1000, (rendered - fetched) * 1000,
        (stored - rendered) * 1000, len(made.data),
    )  # fmt: skip
    return row


class _fetch_original:
    """The original as a seekable local file: memory up to SPOOL_BYTES, then a temp file."""

    def __init__(self, asset: Asset) -> None:
        self.asset = asset
        self.local = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115

    def __enter__(self) -> tempfile.SpooledTemporaryFile[bytes]:
        try:
            with originals_storage().open(self.asset.file.name, "rb") as remote:
                shutil.copyfileobj(remote, self.local, length=1024 * 1024)
        except FileNotFoundError as exc:
            raise SourceMissing("The original of this asset is missing from storage.") from exc
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise SourceMissing("The original of this asset is missing from storage.") from exc
            raise Overloaded("Storage is unavailable; try again shortly.") from exc
        except BotoCoreError as exc:  # endpoint unreachable, timeouts
            raise Overloaded("Storage is unavailable; try again shortly.") from exc
        self.local.seek(0)
        return self.local

    def __exit__(self, *exc: object) -> None:
        self.local.close()
