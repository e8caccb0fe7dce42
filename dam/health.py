"""Operations endpoints: /healthz (database, storage, broker), /readyz, /metrics (Prometheus).

Anyone may learn *whether* a node is healthy (load balancers ask without credentials). What
failed and why (host names, database and bucket names, broker errors) is for staff sessions
and for callers with ``DAM_HEALTH_TOKEN``; ``DAM_METRICS_TOKEN`` closes /metrics the same way.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from dam.storage import originals_storage, renditions_storage


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _storage() -> None:
    """One HeadBucket per bucket (S3), or one stat (local files).

    A missing bucket must fail: a HEAD on a key of a missing bucket answers 404 like a missing
    key does, so only HeadBucket tells the two apart (it needs s3:ListBucket on the bucket).
    """
    checked: set[str] = set()
    for storage in (originals_storage(), renditions_storage()):
        bucket = getattr(storage, "bucket_name", None)
        if bucket is None:
            storage.exists(".dam-health-probe")
        elif bucket not in checked:
            _s3_client(storage).head_bucket(Bucket=bucket)
            checked.add(bucket)


def _s3_client(storage: Storage) -> Any:
    return storage.connection.meta.client  # type: ignore[attr-defined]


def _broker() -> None:
    if not settings.DAM_BROKER_URL:
        return  # embedded: work runs in-process
    from dam.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)


def _migrations() -> None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("unapplied migrations")


def _run(request: HttpRequest, checks: dict[str, Callable[[], None]]) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    healthy = True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:  # a health check reports every failure, whatever it is
            healthy = False
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    body: dict[str, object] = {"status": "ok" if healthy else "fail"}
    if _may_see_details(request):
        body["checks"] = results
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Deep: can this node do its job (database, storage, broker)?"""
    return _run(request, {"database": _database, "storage": _storage, "broker": _broker})


def readyz(request: HttpRequest) -> JsonResponse:
    """Cheap: may the load balancer send traffic (database reachable, schema migrated)?"""
    return _run(request, {"database": _database, "migrations": _migrations})


def metrics(request: HttpRequest) -> HttpResponse:
    if settings.DAM_METRICS_TOKEN and not _bearer_matches(request, settings.DAM_METRICS_TOKEN):
        response = HttpResponse("metrics need a token\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        data = generate_latest(registry)
    else:
        data = generate_latest()
    return HttpResponse(data, content_type=CONTENT_TYPE_LATEST)


def _may_see_details(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return True
    return bool(settings.DAM_HEALTH_TOKEN) and _bearer_matches(request, settings.DAM_HEALTH_TOKEN)


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
