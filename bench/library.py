"""`make bench`, the editors' library page: the Assets changelist at 100,000 assets on PostgreSQL,
beside Django's stock changelist of the same model (bench/bare_admin.py), in server time and queries.

Runs in its own process (``python -m bench.library``) against its own database,
``DAM_BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/dam_bench_library``). The
100,000 rows are seeded once and kept: a later run finds them and starts measuring at once. Server
time is Django's whole request (middleware, queries, template) through the test client, best and
median of RUNS, after a warm-up; no HTTP server is involved on either side.

Alone, the database is ``DATABASE_URL`` itself (created when missing, kept):
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/dam_library_bench DAM_SECRET_KEY=x .venv/bin/python -m bench.library``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/dam_bench_library"
ROWS = 100_000
RUNS = 15
TARGET_MS = 100.0  # the issue's bar for one library page at 100,000 assets
BATCH = 5_000
TAGS = ["news", "sport", "culture", "politics", "weather", "homepage", "archive", "opinion"]


def database_url() -> str:
    """``DAM_BENCH_DATABASE_URL``, else beside ``DATABASE_URL`` (``<name>_library``), else the default."""
    if explicit := os.environ.get("DAM_BENCH_DATABASE_URL"):
        return explicit
    url = os.environ.get("DATABASE_URL", "")
    return f"{url}_library" if url.startswith("postgres") else DEFAULT_DATABASE


def run_in_subprocess(*, capture: bool = False) -> str:
    """Called from bench/run.py: a process of its own, on its own (kept) database."""
    env = {**os.environ, "DATABASE_URL": database_url(),
           "DJANGO_SETTINGS_MODULE": "bench.settings", "DAM_LOG_LEVEL": "WARNING",
           "DAM_SECRET_KEY": os.environ.get("DAM_SECRET_KEY", "bench-only-secret-key")}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "bench.library"], cwd=ROOT, env=env, check=False,
                          capture_output=capture, text=True)  # fmt: skip
    return done.stdout or ""


def reachable(url: str, *, recreate: bool = False) -> bool:
    """Whether PostgreSQL answers; creates the database when missing (or anew with ``recreate``)."""
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            if recreate:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except psycopg.OperationalError:
        return False


def migrate(url: str) -> None:
    """Bring the cached database up to date; if its history no longer matches the code's (a
    migration was renamed or squashed), start it afresh: it is only a cache of seeded rows."""
    from django.core.management import call_command
    from django.db import DatabaseError, connections
    from django.db.migrations.exceptions import InconsistentMigrationHistory

    try:
        call_command("migrate", verbosity=0)
    except (DatabaseError, InconsistentMigrationHistory):
        connections.close_all()
        reachable(url, recreate=True)
        call_command("migrate", verbosity=0)


def seed() -> float:
    """ROWS assets (rows only: a URL is computed, never looked up, so no file is needed), a tenth
    of them tagged, a few failed; seconds spent (0 when the cached database already has them)."""
    from django.db import connection
    from django.utils import timezone

    from assets.models import Asset, Collection, Tag

    if Asset.objects.count() >= ROWS:
        return 0.0
    started = time.perf_counter()
    Asset.objects.all().delete()
    root = Collection.default()
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    through = Asset.tags.through
    base = timezone.now()
    for start in range(0, ROWS, BATCH):
        batch = [_asset(i, root, base) for i in range(start, min(start + BATCH, ROWS))]
        Asset.objects.bulk_create(batch)
        links = [through(asset_id=a.id, tag_id=tags[i % len(tags)].id)
                 for i, a in enumerate(batch) if i % 10 == 0]  # fmt: skip
        through.objects.bulk_create(links)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum would do soon after: statistics for the estimate
    return time.perf_counter() - started


def _asset(i: int, root: object, base: object) -> object:
    from assets.models import Asset

    asset_id = uuid.uuid4()
    asset = Asset(
        id=asset_id, title=f"photo-{i:06d}", alt_text=f"Sample photo number {i}", collection=root,
        file=f"{asset_id.hex[:2]}/{asset_id}.jpg", original_filename=f"photo-{i:06d}.jpg",
        content_type="image/jpeg", format="JPEG", byte_size=2_000_000 + i, width=4000, height=3000,
        sha256=f"{i:064x}", mode="RGB", status="failed" if i % 997 == 0 else "ready",
    )  # fmt: skip
    asset.created_at = base - timedelta(seconds=ROWS - i)  # type: ignore[operator]
    return asset


def measure(client: object, url: str, **headers: str) -> tuple[float, float, int]:
    """(best ms, median ms, queries) of GET ``url``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(url, **headers).status_code == 200, url  # type: ignore[attr-defined]
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url, **headers)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)  # type: ignore[attr-defined]
    return min(samples), statistics.median(samples), len(queries)


def api_list() -> None:
    """The API's first page of 50 (rendition URLs of every named spec included) vs a bare view
    listing the same 50 rows as JSON; printed as a table and as a line bench/run.py reads."""
    from django.test import Client

    from assets.models import ApiKey

    _, key = ApiKey.issue("bench-library")
    client = Client()
    best, median, queries = measure(
        client, "/api/v1/assets/?page_size=50", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    bare_best, bare_median, bare_queries = measure(client, "/bench/bare-list")
    print(
        f"\n### API list, first page of 50 at {ROWS:,} assets on PostgreSQL (server time best / median of {RUNS})\n"
    )
    print("| path | dam API | queries | bare view | queries | median ratio |\n|---|---|---|---|---|---|")
    print(f"| /api/v1/assets/?page_size=50 | {best:.1f} / {median:.1f} ms | {queries} | {bare_best:.1f} / "
          f"{bare_median:.1f} ms | {bare_queries} | {median / bare_median:.2f}× |")  # fmt: skip
    print(f"SUMMARY api-list {median:.3f} {bare_median:.3f}")


PAGES = [  # (label, dam's library, the bare changelist)
    ("first page, grid", "/admin/assets/asset/?view=grid", "/bench/bare-admin/assets/asset/"),
    ("first page, table", "/admin/assets/asset/?view=table", "/bench/bare-admin/assets/asset/"),
    ("page 500", "/admin/assets/asset/?p=500", "/bench/bare-admin/assets/asset/?p=500"),
    ("filter status=failed", "/admin/assets/asset/?status__exact=failed",
     "/bench/bare-admin/assets/asset/?status__exact=failed"),
    ("search “photo-09” (11,000 matches)", "/admin/assets/asset/?q=photo-09",
     "/bench/bare-admin/assets/asset/?q=photo-09"),
    ("search “photo-012345” (one match)", "/admin/assets/asset/?q=photo-012345",
     "/bench/bare-admin/assets/asset/?q=photo-012345"),
]  # fmt: skip


def prepare(title: str, var_prefix: str) -> bool:
    """Django on the bench's PostgreSQL database, migrated, static files collected (production's
    manifest storage); False (and a line saying why) when PostgreSQL is not reachable."""
    url = os.environ["DATABASE_URL"]
    os.environ.setdefault("DAM_VAR_DIR", tempfile.mkdtemp(prefix=var_prefix))
    if not reachable(url):
        print(f"\n### {title}\n\nskipped: PostgreSQL is not reachable at {url.rsplit('@', 1)[-1]}")
        return False
    import django

    django.setup()
    from django.core.management import call_command

    migrate(url)
    call_command("collectstatic", interactive=False, verbosity=0)
    return True


def bench_user() -> Any:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    return users.filter(username="bench").first() or users.create_superuser(
        "bench", "bench@localhost", "bench"
    )


def main() -> None:
    # run alone (``python -m bench.library``), not through run_in_subprocess: the same settings
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("DAM_LOG_LEVEL", "WARNING")
    if not prepare("Library page", "dam-bench-library-"):
        return
    from django.test import Client

    seeded = seed()
    user = bench_user()
    api_list()
    client = Client()
    client.force_login(user)
    rows = []
    for label, ours, bare in PAGES:
        if "view=" in ours:  # the view choice is remembered in the session: set it, then measure
            client.get(ours)
            ours = ours.split("?")[0]
        best, median, queries = measure(client, ours)
        bare_best, bare_median, bare_queries = measure(client, bare)
        verdict = "ok" if median <= TARGET_MS else "MISS"
        rows.append([label, f"{best:.1f} / {median:.1f} ms", str(queries), f"{bare_best:.1f} / {bare_median:.1f} ms",
                     str(bare_queries), f"{median / bare_median:.2f}× ({verdict}, target ≤ {TARGET_MS:.0f} ms)"])  # fmt: skip
    note = f"seeded in {seeded:.0f} s" if seeded else "seeded database reused"
    print(
        f"\n### Library page at {ROWS:,} assets on PostgreSQL (server time best / median of {RUNS}; {note})\n"
    )
    header = ["page", "dam library", "queries", "stock changelist", "queries", "median ratio"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
