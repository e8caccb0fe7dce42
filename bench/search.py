"""`make bench`, search: the API's ``q`` and ``tag`` and the admin's search box at 100,000 assets on
PostgreSQL, each beside the same request with its index dropped (in a transaction rolled back
afterwards, so the index is back at once), against a 20 ms target.

Runs in its own process (``python -m bench.search``, or from bench/run.py) against its own
database: ``DAM_BENCH_SEARCH_DATABASE_URL``, else ``DATABASE_URL``'s server when that is
PostgreSQL (database ``dam_bench_search``), else ``postgres://postgres@127.0.0.1:5432/dam_bench_search``.
The rows are seeded once with ``COPY`` (the search triggers fill every document as they land) and
kept: a later run measures at once. Server time is Django's whole request through the test client
(middleware, auth, filters, queries, serialization or template), median (p50) of RUNS after a
warm-up.

The library: titles, alt texts and captions drawn from a vocabulary, so that "news" is in half the
rows, "harbour" in 1 %, "zeppelin" in 10; file names ``DSC_000000.JPG`` …; 200 tags, each asset
wearing 0–3, "sport" on 10 % of them.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "dam_bench_search"
DEFAULT_DATABASE = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
ROWS = 100_000
RUNS = 15
TARGET_MS = 20.0
WORDS = [f"w{n:04d}" for n in range(3000)]  # filler vocabulary: each word in ~0.3 % of rows
TAGS = ["sport", *(f"tag{n:03d}" for n in range(199))]


def database_url() -> str:
    if url := os.environ.get("DAM_BENCH_SEARCH_DATABASE_URL"):
        return url
    current = os.environ.get("DATABASE_URL", "")
    if current.startswith(("postgres://", "postgresql://")):
        return current.rsplit("/", 1)[0] + f"/{DATABASE}"
    return DEFAULT_DATABASE


def bench_env() -> dict[str, str]:
    """The measuring process's settings (the same whether bench/run.py starts it or it runs alone)."""
    return {"DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DAM_LOG_LEVEL": "WARNING", "DAM_SECRET_KEY": os.environ.get("DAM_SECRET_KEY", "bench-only-secret-key"),
            "DAM_API_THROTTLE_RATE": "1000000/min"}  # fmt: skip


def run_in_subprocess() -> None:
    """Called from bench/run.py: a process of its own, since that one already runs on SQLite."""
    subprocess.run(
        [sys.executable, "-m", "bench.search"], cwd=ROOT, env={**os.environ, **bench_env()}, check=False
    )


def seed() -> float:
    """ROWS assets and their tags by COPY; seconds spent (0 when the database already has them)."""
    from django.db import connection

    from assets.models import Asset, Collection, Tag

    if Asset.objects.count() >= ROWS and Tag.objects.filter(name=TAGS[-1]).exists():
        return 0.0  # this bench's own rows (not another bench's 100,000 with other words)
    started = time.perf_counter()
    Asset.objects.all().delete()
    Tag.objects.all().delete()
    root = Collection.default()
    tag_ids = [Tag.objects.create(name=name).pk for name in TAGS]
    rng = random.Random(42)
    base = datetime.now(UTC)
    columns = (
        "id, title, alt_text, caption, credit, copyright, collection_id, file, original_filename, content_type, "
        "format, byte_size, width, height, sha256, frame_count, mode, has_icc, has_alpha, exif, status, "
        "failure_reason, created_at, updated_at, placeholder, dominant_color, licence, licence_detail, usage_terms"
    )
    ids: list[uuid.UUID] = []
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY assets_asset ({columns}) FROM STDIN") as copy,
    ):
        for i in range(ROWS):
            asset_id = uuid.uuid4()
            ids.append(asset_id)
            title = " ".join(rng.sample(WORDS, 3) + (["news"] if i % 2 == 0 else []))
            alt = " ".join(rng.sample(WORDS, 5) + (["harbour"] if i % 100 == 7 else []))
            caption = " ".join(rng.sample(WORDS, 12) + (["zeppelin"] if i % 10_000 == 3 else []))
            created = base - timedelta(seconds=ROWS - i)
            copy.write_row((
                asset_id, title, alt, caption, "Staff photographer", "", root.pk, f"{asset_id.hex[:2]}/{asset_id}.jpg",
                f"DSC_{i:06d}.JPG", "image/jpeg", "JPEG", 2_000_000 + i, 4000, 3000, f"{i:064x}", 1, "RGB", False,
                False, "{}", "ready", "", created, created, "", "", "", "", "",
            ))  # fmt: skip
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy("COPY assets_asset_tags (asset_id, tag_id) FROM STDIN") as copy,
    ):
        for i, asset_id in enumerate(ids):
            chosen = {tag_ids[0]} if i % 10 == 0 else set()
            chosen |= set(rng.sample(tag_ids[1:], rng.randint(0, 2)))
            for tag_id in chosen:
                copy.write_row((asset_id, tag_id))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE assets_asset") if connection.get_autocommit() else None
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


# (label, URL, the indexes it is measured without)
SEARCH_INDEXES = ["asset_search_document", "asset_filename_trgm"]
TAG_INDEXES = ["assets_asset_tags_tag_asset", "assets_asset_tags_tag_id_04269c11"]
REQUESTS = [
    ("API list, no filter (the page's own cost)", "/api/v1/assets/", []),
    ("admin library, no search (the page's own cost)", "/admin/assets/asset/", []),
    ("API q, rare word “zeppelin” (10 matches)", "/api/v1/assets/?q=zeppelin", SEARCH_INDEXES),
    ("API q, two words “harbour news” (500)", "/api/v1/assets/?q=harbour+news", SEARCH_INDEXES),
    ("API q, prefix “harb” (1,000, ranked)", "/api/v1/assets/?q=harb", SEARCH_INDEXES),
    ("API q, common word “news” (50,000: newest first)", "/api/v1/assets/?q=news", SEARCH_INDEXES),
    ("API q, file-name fragment “4217” (20)", "/api/v1/assets/?q=4217", SEARCH_INDEXES),
    ("API q, file name “DSC_004217” (1)", "/api/v1/assets/?q=DSC_004217", SEARCH_INDEXES),
    ("admin search “harbour” (1,000, ranked)", "/admin/assets/asset/?q=harbour", SEARCH_INDEXES),
    ("admin search “news” (50,000)", "/admin/assets/asset/?q=news", SEARCH_INDEXES),
    ("admin search “zeppelin” (10)", "/admin/assets/asset/?q=zeppelin", SEARCH_INDEXES),
    ("API tag=sport (10,000)", "/api/v1/assets/?tag=sport", TAG_INDEXES),
    ("API tag=tag007 (~1,000)", "/api/v1/assets/?tag=tag007", TAG_INDEXES),
]


def median_ms(client: object, url: str, headers: dict[str, str]) -> tuple[float, float]:
    """p50 of the whole request, and p50 of its search: the same queries the view runs for the
    list (the rank decision, the page of rows, the admin's count), evaluated through the ORM
    without the rest of the page (serializing, signing URLs, the template), which does not depend
    on the search and wanders with the load of a shared machine."""
    for _ in range(2):
        response = client.get(url, headers=headers)  # type: ignore[attr-defined]
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    samples, searches = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url, headers=headers)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        search_queries(url)
        searches.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), statistics.median(searches)


def search_queries(url: str) -> None:
    from urllib.parse import parse_qs, urlsplit

    from django.db.models import Count, Window

    from api.filters import AssetFilter
    from assets.editor import library
    from assets.editor.paginator import EstimatedCountPaginator
    from assets.models import Asset
    from assets.search import ordering

    parts = urlsplit(url)
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if parts.path.startswith("/api/"):
        found = AssetFilter(params, queryset=Asset.objects.all()).qs
        list(found.order_by(*(ordering(found) or ("-created_at", "-id")))[:51])
    else:
        found = library.search(Asset.objects.all(), params.get("q", ""))
        if ordering(found):  # ranked: the page query carries the count (LibraryChangeList._ranked_results)
            list(library.page_rows(found).annotate(matches=Window(Count("pk")))[:48])
        else:
            _ = EstimatedCountPaginator(found, 48).count
            list(library.page_rows(found)[:48])


def without(indexes: list[str], client: object, url: str, headers: dict[str, str]) -> tuple[float, float]:
    """The same request with ``indexes`` dropped inside a transaction that is then rolled back."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            for name in indexes:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        try:
            return median_ms(client, url, headers)
        finally:
            transaction.set_rollback(True)


def main() -> None:
    from bench.library import bench_user, prepare

    if not prepare("Search", "dam-bench-search-"):
        return
    from django.test import Client

    from assets.models import ApiKey

    seeded = seed()
    from django.db import connection

    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum keeps them in production
        cursor.execute("ANALYZE assets_asset; ANALYZE assets_asset_tags; ANALYZE assets_tag")
    user = bench_user()
    _, raw = ApiKey.issue("bench-search", read_only=True)
    client = Client()
    client.force_login(user)
    api = {"Authorization": f"Api-Key {raw}"}
    rows = []
    for label, path, indexes in REQUESTS:
        headers = api if path.startswith("/api/") else {}
        ours, ours_search = median_ms(client, path, headers)
        if not indexes:
            rows.append([label, f"{ours:.1f} ms", f"{ours_search:.1f} ms", "", "", ""])
            continue
        bare, bare_search = without(indexes, client, path, headers)
        verdict = "; ".join(f"{what} {'ok' if took <= TARGET_MS else 'MISS'}"
                            for what, took in (("request", ours), ("search", ours_search)))  # fmt: skip
        rows.append([label, f"{ours:.1f} ms", f"{ours_search:.1f} ms", f"{bare:.1f} ms", f"{bare_search:.1f} ms",
                     f"{bare_search / ours_search:.1f}× ({verdict}: target ≤ {TARGET_MS:.0f} ms)"])  # fmt: skip
    note = f"seeded in {seeded:.0f} s" if seeded else "seeded database reused"
    print(
        f"\n### Search at {ROWS:,} assets on PostgreSQL (server time of the request and of its search queries, p50 of {RUNS}; {note})\n"
    )
    header = [
        "request",
        "dam: request",
        "dam: its search queries",
        "without the index: request",
        "its search queries",
        "search speed-up",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.update(bench_env())  # run alone, or from run_in_subprocess: the same settings (idempotent)
    main()
