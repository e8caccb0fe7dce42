"""Rendition services: keys and URLs (computed, never looked up), and get-or-generate with single
flight across processes and bounded renders per process. The delivery view, the admin, the API
and the background tasks all come through here: there is one code path that makes a rendition.
"""

from __future__ import annotations

import hashlib
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
from typing import IO, Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from assets.exceptions import SourceMissing
from assets.models import Asset, effective_focal_point
from dam.prepared import execute_prepared
from dam.slots import DecodeSlots
from dam.storage import originals_storage, renditions_storage
from renditions import generators, metrics, pipeline, signing
from renditions.exceptions import Overloaded, RenderFailed
from renditions.models import RenderLease, Rendition, RenditionSpec, spec_limits
from renditions.specs import Spec, rendition_key, uses_focal_point

logger = logging.getLogger(__name__)

# An original a storage cannot open as a local path (S3) is fetched into memory up to this, then
# to a temporary file on disk: a 50 MP photo never sits in a worker's RAM for a whole render.
SPOOL_BYTES = 1024 * 1024
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
    """Every named rendition of every asset: two queries for the whole page, no storage call.

    What depends on the spec alone (parsing, format, whether the focal point enters the key) is
    worked out once per page, the output size once per spec and source size (a page of photos
    from one camera has one), and each key is hashed once (the URL is built from it).
    """
    assets = list(assets)
    specs = list(RenditionSpec.objects.all()) if specs is None else specs
    # A page's worth of rows: one plain query (``.iterator()`` would open a server-side cursor on
    # PostgreSQL, three round trips for a few hundred rows).
    made = set(Rendition.objects.for_assets([a.id for a in assets]).values_list("asset_id", "key"))
    plans = [_SpecPlan(named, render_limits()) for named in specs]
    result: dict[uuid.UUID, dict[str, RenditionInfo]] = {}
    for asset in assets:
        prefix = f"{base}/r/{asset.id}/"
        result[asset.id] = {plan.name: plan.info(asset, made, prefix) for plan in plans}
    return result


class _SpecPlan:
    """One named spec, prepared for a page of assets."""

    def __init__(self, named: RenditionSpec, limits: pipeline.RenderLimits) -> None:
        self.name, self.text, self.spec, self.limits = named.name, named.spec, parsed(named), limits
        self.uses_focal = uses_focal_point(named.spec)
        self.formats: dict[str, tuple[str | None, str | None]] = {}  # source format → (ext, type)
        self.sizes: dict[tuple[int, int], tuple[int | None, int | None]] = {}

    def info(self, asset: Asset, made: set[tuple[uuid.UUID, str]], prefix: str) -> RenditionInfo:
        ext, content_type = self.formats.get(asset.format) or self._format(asset.format)
        focal = asset.focal_point if self.uses_focal else None
        key = rendition_key(self.text, checksum=asset.sha256, focal_point=focal)
        filename = f"{key}.{ext}" if ext else key
        size = self.sizes.get((asset.width, asset.height)) or self._size(asset)
        ready = ext is not None and (asset.id, filename) in made
        return RenditionInfo(f"{prefix}{self.name}/{filename}", size[0], size[1], content_type,
                             "ready" if ready else "pending")  # fmt: skip

    def _format(self, source_format: str) -> tuple[str | None, str | None]:
        if self.spec.is_auto_format:
            found: tuple[str | None, str | None] = (None, None)
        else:
            fmt = pipeline.output_format(self.spec, source_format)
            found = (pipeline.EXTENSIONS[fmt], pipeline.CONTENT_TYPES[fmt])
        self.formats[source_format] = found
        return found

    def _size(self, asset: Asset) -> tuple[int | None, int | None]:
        """The output size; the focal point only moves a fill's box, never its size."""
        try:
            size: tuple[int | None, int | None] = pipeline.geometry(
                self.spec, (asset.width, asset.height), None, self.limits
            ).output_size
        except RenderFailed:
            size = (None, None)
        self.sizes[(asset.width, asset.height)] = size
        return size


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


class HitCache:
    """A small per-process memo of warm hits (DAM_HIT_CACHE_SECONDS; 0 turns it off).

    Safe because what it remembers is immutable: the bytes behind a key never change. The only
    cost is that for up to the TTL an old URL keeps serving its old bytes after a focal point or
    spec edit, rather than redirecting, which a CDN in front (a year of ``immutable``) does anyway.
    """

    max_entries = 50_000
    # The whole answer of a hit (a ``Lookup`` holding its ``Stored``), so that a hit builds nothing.
    _entries: OrderedDict[tuple[object, ...], tuple[float, Lookup]] = OrderedDict()
    _by_name: dict[str, set[tuple[object, ...]]] = {}  # storage name → the keys whose hit it is
    _lock = threading.Lock()

    @classmethod
    def get(cls, key: tuple[object, ...]) -> Lookup | None:
        with cls._lock:
            entry = cls._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    @classmethod
    def put(cls, key: tuple[object, ...], value: Lookup) -> None:
        ttl = settings.DAM_HIT_CACHE_SECONDS
        if ttl <= 0 or value.hit is None:
            return
        with cls._lock:
            if (old := cls._entries.get(key)) is not None:
                cls._unindex(key, old[1])
            cls._entries[key] = (time.monotonic() + ttl, value)
            cls._by_name.setdefault(value.hit.storage_name, set()).add(key)
            if len(cls._entries) > cls.max_entries:
                evicted, (_, found) = cls._entries.popitem(last=False)
                cls._unindex(evicted, found)

    @classmethod
    def _unindex(cls, key: tuple[object, ...], found: Lookup) -> None:
        if found.hit is not None and (keys := cls._by_name.get(found.hit.storage_name)) is not None:
            keys.discard(key)
            if not keys:
                del cls._by_name[found.hit.storage_name]

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls._entries.clear()
            cls._by_name.clear()

    @classmethod
    def forget(cls, storage_name: str) -> None:
        """Drop what this process remembers about a file storage no longer has (a replaced
        original's renditions, a deleted row): its URL must reach the database again. Called for
        every rendition row deleted (``renditions.signals``), so it costs a dict lookup."""
        with cls._lock:
            for key in cls._by_name.pop(storage_name, ()):
                cls._entries.pop(key, None)


# What a render needs of the asset (``Target``, the fetch, the row): read by the delivery's one
# query. The other columns stay deferred (loaded only if something asks, which the path does not).
RENDER_FIELDS = ("id", "file", "format", "width", "height", "sha256", "frame_count", "has_alpha",
                 "focal_x", "focal_y", "auto_focal_x", "auto_focal_y", "mode", "has_icc")  # fmt: skip
SPEC_FIELDS = ("id", "name", "spec", "eager")  # what delivery reads; no timestamps to parse per hit


@dataclass(frozen=True)
class Lookup:
    """What the delivery's one query found: the hit, else the asset (None: there is none) and,
    for a named URL, the spec (None: there is no spec by that name)."""

    hit: Stored | None = None
    asset: Asset | None = None
    named: RenditionSpec | None = None
    # The single-flight lock on the URL's own key, taken by the lookup when the row is missing
    # (``lookup(lock=True)``): ``get_or_generate`` takes it over, else ``release_unused`` frees it.
    held: FlightLock | None = None


def lookup(
    asset_id: uuid.UUID, filename: str, *, name: str | None = None, spec: str = "", lock: bool = False
) -> Lookup:
    """The delivery's first and only read: the hit cache, else ONE indexed query that returns the
    rendition (if made), the asset and the named spec together (raw SQL: the ORM's compile step
    cost more than the query). A hit counts only if the URL's key is still the current one.

    ``lock``: on PostgreSQL, when the URL names its format (``….webp``: the key a render would
    store) and no row has that key, the same statement tries the single-flight lock on it, as
    ``AdvisoryLock.acquire_or_find`` would one statement later (a cold request: 3 statements,
    not 4). The caller must hand ``Lookup.held`` to ``get_or_generate`` or ``release_unused``."""
    memo_key = (asset_id, filename, name, spec)
    if (memo := HitCache.get(memo_key)) is not None:
        return memo
    speculate = lock and "." in filename and connections[Rendition.objects.db].vendor == "postgresql"
    found = _query(asset_id, filename, name=name, spec=spec, lock=speculate)
    if found.hit is not None:
        HitCache.put(memo_key, Lookup(hit=found.hit))
    return found


def release_unused(found: Lookup) -> None:
    """Free a lock the lookup took that no render took over (a redirect, an error)."""
    if found.held is not None and not found.held.handed_over:
        found.held.release()


class _Columns:
    """Per database: the SELECT list and the value converters of a model's fields (once each)."""

    _cache: dict[tuple[str, str, tuple[str, ...]], _Columns] = {}

    def __init__(self, model: type[Any], names: tuple[str, ...], alias: str, connection: BaseDatabaseWrapper):
        order = {f.name: i for i, f in enumerate(model._meta.concrete_fields)}  # from_db's order
        fields = [model._meta.get_field(n) for n in sorted(names, key=order.__getitem__)]
        self.attnames = [f.attname for f in fields]
        self.index = {f.attname: i for i, f in enumerate(fields)}
        self.sql = ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields)
        self.columns = []
        for f in fields:
            col = f.get_col(model._meta.db_table)
            self.columns.append(
                (col, [*connection.ops.get_db_converters(col), *f.get_db_converters(connection)])
            )

    @classmethod
    def of(
        cls, model: type[Any], names: tuple[str, ...], alias: str, connection: BaseDatabaseWrapper
    ) -> _Columns:
        key = (connection.alias, model._meta.label, names)
        if key not in cls._cache:
            cls._cache[key] = cls(model, names, alias, connection)
        return cls._cache[key]

    def build(self, model: type[Any], values: tuple[Any, ...], connection: BaseDatabaseWrapper) -> Any:
        converted = []
        for value, (col, converters) in zip(values, self.columns, strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            converted.append(value)
        return model.from_db(connection.alias, self.attnames, converted)


def _query(asset_id: uuid.UUID, filename: str, *, name: str | None, spec: str, lock: bool = False) -> Lookup:
    named = name is not None
    connection = connections[Rendition.objects.db]
    asset_cols = _Columns.of(Asset, RENDER_FIELDS, "a", connection)
    spec_cols = _Columns.of(RenditionSpec, SPEC_FIELDS, "s", connection)
    rendition, asset_table = Rendition._meta.db_table, Asset._meta.db_table
    flight = AdvisoryLock(f"{asset_id}/{filename}") if lock else None
    sql = (
        f"SELECT r.storage_name, r.content_type, r.byte_size, {asset_cols.sql}"  # noqa: S608 - names from the models, values bound
        + (f", {spec_cols.sql}" if named else "")
        # Tried only when there is something to render: the asset, its spec, and no row yet.
        + (f", CASE WHEN r.id IS NULL{' AND s.id IS NOT NULL' if named else ''} "
           "THEN dam_lock_if_missing(%s, a.id, %s) END" if flight else "")
        + f" FROM {asset_table} a"
        + (f" LEFT JOIN {RenditionSpec._meta.db_table} s ON s.name = %s" if named else "")
        + f" LEFT JOIN {rendition} r ON r.asset_id = a.id AND r.key = %s WHERE a.id = %s"
    )  # fmt: skip
    pk = Asset._meta.pk.get_db_prep_value(asset_id, connection)
    params = ([flight.key, filename] if flight else []) + ([name] if named else []) + [filename, pk]
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, params)
        row = cursor.fetchone()
    if row is None:
        return Lookup()
    if flight is not None:
        *row, locked = row
        flight = flight if locked else None
    count = len(RENDER_FIELDS)
    values, spec_values = row[3 : 3 + count], row[3 + count :]
    storage_name, content_type, byte_size = row[:3]
    if storage_name is not None and (not named or spec_values[0] is not None):
        # A hit: checked from the raw columns, no model built (the warm path's cost is Python).
        column = asset_cols.index
        focal = effective_focal_point(values[column["focal_x"]], values[column["focal_y"]],
                                      values[column["auto_focal_x"]], values[column["auto_focal_y"]])  # fmt: skip
        text = spec_values[spec_cols.index["spec"]] if named else spec
        current = rendition_key(text, checksum=values[column["sha256"]], focal_point=focal)
        if filename.startswith(current):
            return Lookup(hit=Stored(filename, storage_name, content_type, byte_size))
    asset: Asset = asset_cols.build(Asset, values, connection)
    found: RenditionSpec | None = None
    if named and spec_values[0] is not None:
        found = spec_cols.build(RenditionSpec, spec_values, connection)
    return Lookup(asset=asset, named=found, held=flight)


# --- get or generate ------------------------------------------------------------------------------


def get_or_generate(target: Target, held: FlightLock | None = None) -> Rendition:
    """The rendition for ``target``, made now if needed, by exactly one process in the deployment.
    ``held``: the lock ``lookup(lock=True)`` took, used when it is this target's.

    Others asking for the same rendition meanwhile wait for it (up to DAM_RENDER_WAIT_SECONDS,
    then ``Overloaded``). A lock that outlives its holder is impossible on PostgreSQL (a session
    advisory lock dies with its connection) and expires elsewhere (the lease row).
    """
    deadline = time.monotonic() + settings.DAM_RENDER_WAIT_SECONDS
    flight = flight_lock(f"{target.asset.id}/{target.key}")
    if held is not None and held.name == flight.name:  # the lookup's statement took it
        flight, held.handed_over = held, True
    taken_over = flight is held
    for attempt in range(10_000):
        if attempt == 0 and taken_over:
            acquired, found = True, None  # no row, the lock held: as acquire_or_find would say
        else:
            acquired, found = flight.acquire_or_find(target.asset.id, target.key)
        if found is not None:
            if acquired:
                flight.release()
            return found
        if acquired:
            try:
                return _generate_in_slot(target, deadline)
            finally:
                flight.release()
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS[min(attempt, len(POLL_SECONDS) - 1)])
    raise Overloaded("Another process is still rendering this image; try again shortly.")


def flight_lock(name: str) -> FlightLock:
    vendor = connections[Rendition.objects.db].vendor
    return AdvisoryLock(name) if vendor == "postgresql" else Lease(name)


class FlightLock:
    """Who renders a key: ``acquire_or_find`` says whether this process holds the lock now, and
    returns the rendition if it already exists (then there is nothing to render)."""

    name: str
    handed_over = False  # a lock the lookup took, now get_or_generate's to release

    def acquire_or_find(self, asset_id: uuid.UUID, key: str) -> tuple[bool, Rendition | None]:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


class AdvisoryLock(FlightLock):
    """PostgreSQL: a session-level advisory lock on a 64-bit hash of the key, taken in the same
    statement that looks for the row (one round trip; the delivery's lookup tries it too, for
    the URL's own key), released by one more. No row is written, and a holder that dies frees the
    lock with its connection, at once, rather than after a lease.

    The lock is tried by ``dam_lock_if_missing`` (renditions migration 0004), which, once it holds
    the lock, looks for the row again with a snapshot of its own: the statement's snapshot is
    older than the lock (taken before the statement was planned), and a row a holder committed in
    between (it commits before it unlocks) would be missed and the key rendered twice. Found
    then, the lock is let go and the caller finds the row on its next look.
    Behind a transaction-pooling PgBouncer, session locks need session pooling.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        self.key = int.from_bytes(digest, "big", signed=True)

    def acquire_or_find(self, asset_id: uuid.UUID, key: str) -> tuple[bool, Rendition | None]:
        connection = connections[Rendition.objects.db]
        cols = _Columns.of(Rendition, ROW_FIELDS, "r", connection)
        sql = (f"SELECT dam_lock_if_missing(%s, %s, %s), {cols.sql} FROM (SELECT 1) one "  # noqa: S608 - names from the models, values bound
               f"LEFT JOIN {Rendition._meta.db_table} r ON r.asset_id = %s AND r.key = %s")  # fmt: skip
        pk = Asset._meta.pk.get_db_prep_value(asset_id, connection)
        with connection.cursor() as cursor:
            execute_prepared(cursor, sql, [self.key, pk, key, pk, key])
            row = cursor.fetchone()
        acquired = bool(row[0])
        found = cols.build(Rendition, row[1:], connection) if row[1] is not None else None
        return acquired, found

    def release(self) -> None:
        connection = connections[Rendition.objects.db]
        if connection.connection is None:  # the connection died: so did the lock
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])
        except DatabaseError:  # the connection broke under the render: the lock went with it
            logger.warning("could not unlock %s (the database connection is gone)", self.name)


class Lease(FlightLock):
    """Elsewhere (SQLite): a row whose primary key is the lock, with an expiry, so a process
    killed mid-render delays the others by at most DAM_RENDER_LEASE_SECONDS."""

    def __init__(self, name: str) -> None:
        self.name, self.owner = name[:100], uuid.uuid4().hex

    def acquire_or_find(self, asset_id: uuid.UUID, key: str) -> tuple[bool, Rendition | None]:
        if found := find(asset_id, key):
            return False, found
        if not self.acquire():
            return False, None
        found = find(asset_id, key)  # made between the look and the lock
        return True, found

    def acquire(self) -> bool:
        now = timezone.now()
        expires = now + timedelta(seconds=settings.DAM_RENDER_LEASE_SECONDS)
        connection = connections[RenderLease.objects.db]
        quote = connection.ops.quote_name
        field = RenderLease._meta.get_field("expires_at")
        with connection.cursor() as cursor:  # one statement, not a transaction around a failing INSERT
            cursor.execute(
                f"INSERT INTO {quote(RenderLease._meta.db_table)} (name, owner, expires_at) VALUES (%s, %s, %s) "  # noqa: S608 - names from the models, values bound
                "ON CONFLICT (name) DO NOTHING RETURNING name",
                [self.name, self.owner, field.get_db_prep_save(expires, connection)],
            )
            if cursor.fetchone() is not None:
                return True
        # Held by someone. Take it over only if it expired (its holder died mid-render).
        taken = RenderLease.objects.filter(name=self.name, expires_at__lt=now).update(
            owner=self.owner, expires_at=expires
        )
        return taken == 1

    def release(self) -> None:
        connection = connections[RenderLease.objects.db]
        with connection.cursor() as cursor:  # one DELETE (the ORM's wraps it in a transaction)
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(RenderLease._meta.db_table)} "  # noqa: S608 - names from the models, values bound
                           "WHERE name = %s AND owner = %s", [self.name, self.owner])  # fmt: skip


def renders_in_flight() -> int:
    """How many single-flight locks are held right now, deployment-wide (tests, operations)."""
    connection = connections[Rendition.objects.db]
    if connection.vendor != "postgresql":
        return RenderLease.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                       "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")  # fmt: skip
        return int(cursor.fetchone()[0])


ROW_FIELDS = ("id", "asset", "spec", "key", "spec_name", "spec_string", "storage_name", "width", "height",
              "format", "content_type", "byte_size", "frames", "render_ms", "created_at")  # fmt: skip


def _generate_in_slot(target: Target, deadline: float) -> Rendition:
    with DecodeSlots.held(deadline - time.monotonic(), "Every render slot is busy; try again shortly."):
        return generate(target)


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
    row = Rendition(asset=asset, key=target.key, spec=target.named,
                    spec_name=target.named.name if target.named else "",
                    spec_string=target.requested or str(target.spec), storage_name=name,
                    width=made.width, height=made.height, format=made.format,
                    content_type=pipeline.CONTENT_TYPES[made.format], byte_size=len(made.data),
                    frames=made.frames, render_ms=round((stored - started) * 1000))  # fmt: skip
    try:
        existing = _insert(row)
    except BaseException:
        renditions_storage().delete(name)  # no object without its row
        raise
    # Server-Timing: the phases of this render (the view adds its own total).
    row.timings = {"fetch": fetched - started, "render": rendered - fetched,  # type: ignore[attr-defined]
                   "store": stored - rendered, "record": time.perf_counter() - stored}  # fmt: skip
    metrics.RENDERS.labels(label).inc()
    metrics.LATENCY.labels(label).observe(time.perf_counter() - started)
    logger.info(
        "rendered asset=%s key=%s spec=%s fetch_ms=%.1f render_ms=%.1f store_ms=%.1f bytes=%d",
        asset.id, target.key, target.spec, (fetched - started) * 1000, (rendered - fetched) * 1000,
        (stored - rendered) * 1000, len(made.data),
    )  # fmt: skip
    if existing is not None:  # made meanwhile by a process that held no lock (a lease taken over)
        if existing.storage_name != name:
            renditions_storage().delete(name)
        return existing
    return row


def _insert(row: Rendition) -> Rendition | None:
    """One INSERT … ON CONFLICT DO NOTHING (PostgreSQL, SQLite ≥ 3.35): None when ``row`` went in
    (its ``pk`` set), else the row already there. Not ``get_or_create`` (a SELECT, then the INSERT
    in a transaction: four statements where one does)."""
    connection = connections[Rendition.objects.db]
    fields = [f for f in Rendition._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(Rendition._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from the models, values bound
           f"VALUES ({', '.join(['%s'] * len(fields))}) "
           f"ON CONFLICT ({quote('asset_id')}, {quote('key')}) DO NOTHING RETURNING {quote('id')}")  # fmt: skip
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The row is a cache of a deterministic render: its commit need not wait for the WAL to
        # reach disk (that wait was most of a cold request's time outside the render). Others
        # see the row at once; a crash of PostgreSQL within ~0.6 s may forget it, and the next
        # request renders it again. Scoped to this statement's own transaction (is_local).
        sql = (f"WITH made AS ({sql}) "  # noqa: S608 - the statement above
               "SELECT made.id, set_config('synchronous_commit', 'off', true) FROM made")  # fmt: skip
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, values)
        inserted = cursor.fetchone()
    if inserted is None:
        return find(row.asset_id, row.key)
    row.pk = inserted[0]
    row._state.adding, row._state.db = False, connection.alias
    return None


class _fetch_original:
    """The original as a seekable file for the decoder. A storage that has local paths (the
    filesystem) is opened in place: no copy. S3 (django-storages) downloads the object into its
    own spool, in memory up to ``max_memory_size`` (1 MiB, dam/storage_config.py), then a
    temporary file: the decoder reads that one, not a copy of it. Another storage's file is
    copied into a spool of SPOOL_BYTES. Whatever was fetched is deleted after the render."""

    def __init__(self, asset: Asset) -> None:
        self.asset = asset
        self.local: IO[bytes] | None = None
        self.remote: Any = None

    def __enter__(self) -> IO[bytes]:
        storage = originals_storage()
        try:
            try:
                path = storage.path(self.asset.file.name)
            except NotImplementedError:  # no local path: fetch it
                self.local = self._spool(storage)
            else:
                self.local = open(path, "rb")
        except FileNotFoundError as exc:
            raise SourceMissing("The original of this asset is missing from storage.") from exc
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise SourceMissing("The original of this asset is missing from storage.") from exc
            raise Overloaded("Storage is unavailable; try again shortly.") from exc
        except BotoCoreError as exc:  # endpoint unreachable, timeouts
            raise Overloaded("Storage is unavailable; try again shortly.") from exc
        return self.local

    def _spool(self, storage: Any) -> IO[bytes]:
        remote = storage.open(self.asset.file.name, "rb")
        local = None
        try:
            downloaded = remote.file  # django-storages' S3File downloads the object here
            if isinstance(downloaded, tempfile.SpooledTemporaryFile):
                downloaded.seek(0)
                self.remote = remote  # closed (its spool deleted) after the render
                return downloaded
            local = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
            shutil.copyfileobj(remote, local, length=256 * 1024)
        except BaseException:
            remote.close()
            if local is not None:
                local.close()
            raise
        remote.close()
        local.seek(0)
        return local

    def __exit__(self, *exc: object) -> None:
        if self.local is not None:
            self.local.close()
        if self.remote is not None:
            self.remote.close()
