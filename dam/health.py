"""Operations endpoints: /healthz (database, storage, broker), /readyz, /metrics (Prometheus)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from dam.storage import originals_storage


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _storage() -> None:
    originals_storage().exists(".dam-health-probe")  # one HEAD (S3) or stat (local)


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


def _run(checks: dict[str, Callable[[], None]]) -> JsonResponse:
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
    response = JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": results}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Deep: can this node do its job (database, storage, broker)?"""
    return _run({"database": _database, "storage": _storage, "broker": _broker})


def readyz(request: HttpRequest) -> JsonResponse:
    """Cheap: may the load balancer send traffic (database reachable, schema migrated)?"""
    return _run({"database": _database, "migrations": _migrations})


def metrics(request: HttpRequest) -> HttpResponse:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        data = generate_latest(registry)
    else:
        data = generate_latest()
    return HttpResponse(data, content_type=CONTENT_TYPE_LATEST)
