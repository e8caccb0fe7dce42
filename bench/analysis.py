"""`make bench`, image analysis: what it adds to an upload, and the near-duplicate lookup at 100,000
assets on PostgreSQL.

1. Extra cost per upload (target ≤ 5 ms): the validation decode already holds the first frame
   (a JPEG at 1/8 scale); the analysis adds ``preview_of`` (a ≤ 64 px copy of it) and ``analyse``
   (BlurHash, colour, dHash, attention point). Timed on the frame exactly as ``decode_fully``
   leaves it, median of RUNS; the decode itself is not counted (it runs without the analysis too).
2. The lookup (target ≤ 20 ms): ``similar.matches`` against 100,000 rows, the hashes of 80 % of
   them uniform, 20 % skewed (bands drawn near a few popular values, as flat or gradient-like
   pictures give: the case that makes candidates pile up), each query a stored hash with 0–3 bits
   flipped; at the default distance and at the largest one allowed.

Runs in its own process (``python -m bench.analysis``) against its own database,
``DAM_BENCH_SIMILAR_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/dam_bench_similar``);
the rows are seeded once and kept.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/dam_bench_similar"
ROWS = 100_000
BATCH = 5_000
RUNS = 30
QUERIES = 60
COST_TARGET_MS = 5.0
LOOKUP_TARGET_MS = 20.0
IMAGES = {  # name: (size, format), cached in bench/.cache/ like run.py's
    "photo-4mp.jpg": ((2448, 1632), "JPEG"),
    "photo-24mp.jpg": ((6000, 4000), "JPEG"),
    "large.png": ((3000, 2000), "PNG"),
}


def run_in_subprocess() -> None:
    env = {**os.environ, "DATABASE_URL": os.environ.get("DAM_BENCH_SIMILAR_DATABASE_URL", DEFAULT_DATABASE),
           "DJANGO_SETTINGS_MODULE": "bench.settings", "DAM_LOG_LEVEL": "WARNING",
           "DAM_SECRET_KEY": os.environ.get("DAM_SECRET_KEY", "bench-only-secret-key")}  # fmt: skip
    subprocess.run([sys.executable, "-m", "bench.analysis"], cwd=ROOT, env=env, check=False)


# --- 1. the extra cost per upload -------------------------------------------------------------------


def _image(name: str) -> bytes:
    from bench.pictures import save_photo_like

    path = ROOT / "bench" / ".cache" / name
    if not path.exists():
        save_photo_like(path, *IMAGES[name])
    return path.read_bytes()


def _decoded_frame(data: bytes):  # type: ignore[no-untyped-def]
    """The first frame as the validation decode leaves it (a JPEG at 1/8 scale)."""
    from PIL import Image, JpegImagePlugin

    from assets.validators import VALIDATION_DRAFT_DIVISOR

    image = Image.open(io.BytesIO(data))
    if isinstance(image, JpegImagePlugin.JpegImageFile):
        image.draft(
            image.mode, (image.width // VALIDATION_DRAFT_DIVISOR, image.height // VALIDATION_DRAFT_DIVISOR)
        )
    image.load()
    return image


def cost_rows() -> list[list[str]]:
    """Interleaved (one run of each image in turn), so a busy moment of the machine is shared."""
    from assets import analysis

    frames = {name: _decoded_frame(_image(name)) for name in IMAGES}
    # CPU time of this thread (what the upload costs the machine, whatever else shares its cores),
    # and the wall-clock time beside it.
    times: dict[str, tuple[list[float], list[float], list[float]]] = {name: ([], [], []) for name in IMAGES}
    for frame in frames.values():
        analysis.analyse(analysis.preview_of(frame))  # warm up
    for _ in range(RUNS):
        for name, frame in frames.items():
            wall, started = time.perf_counter(), time.thread_time()
            preview = analysis.preview_of(frame)
            made = time.thread_time()
            analysis.analyse(preview, orientation=1)
            done = time.thread_time()
            times[name][0].append(made - started)
            times[name][1].append(done - made)
            times[name][2].append(time.perf_counter() - wall)
    rows = []
    for name, (previews, analyses, walls) in times.items():
        (width, height), fmt = IMAGES[name]
        median = statistics.median(p + a for p, a in zip(previews, analyses, strict=True)) * 1000
        rows.append([f"{name} ({width * height / 1e6:.0f} MP {fmt}, decoded {frames[name].width}×{frames[name].height})",
                     f"{statistics.median(previews) * 1000:.2f} ms", f"{statistics.median(analyses) * 1000:.2f} ms",
                     f"**{median:.2f} ms**", f"{statistics.median(walls) * 1000:.2f} ms", f"{COST_TARGET_MS:.0f} ms",
                     "yes" if median <= COST_TARGET_MS else "NO"])  # fmt: skip
    return rows


# --- 2. the lookup at 100,000 assets ----------------------------------------------------------------


def _hashes(rng: random.Random) -> list[int]:
    popular = [rng.getrandbits(16) for _ in range(64)]
    values = []
    for index in range(ROWS):
        if index % 5:
            values.append(rng.getrandbits(64))
            continue
        value = 0
        for _ in range(4):
            band = rng.choice(popular)
            for _ in range(rng.randrange(3)):
                band ^= 1 << rng.randrange(16)
            value = (value << 16) | band
        values.append(value)
    return values


def seed() -> float:
    from django.db import transaction

    from assets import analysis
    from assets.models import Asset, Collection

    if Asset.objects.filter(perceptual_hash__isnull=False).count() >= ROWS:
        return 0.0
    started = time.perf_counter()
    Asset.objects.all().delete()
    collection = Collection.default()
    rng = random.Random(20261127)
    hashes = _hashes(rng)
    for start in range(0, ROWS, BATCH):
        batch = []
        for value in hashes[start : start + BATCH]:
            row = Asset(id=uuid.UUID(int=rng.getrandbits(128), version=4), title="bench", original_filename="b.jpg",
                        content_type="image/jpeg", format="JPEG", byte_size=1, width=1, height=1,
                        sha256=f"{rng.getrandbits(256):064x}", mode="RGB", collection=collection)  # fmt: skip
            analysis.apply(row, analysis.Analysis("", "", value, None))
            batch.append(row)
        with transaction.atomic():
            Asset.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum does soon after: index-only scans need it
        cursor.execute(f"VACUUM ANALYZE {Asset._meta.db_table}")
    return time.perf_counter() - started


def lookup_rows() -> list[list[str]]:
    from assets import analysis, similar
    from assets.models import Asset

    rng = random.Random(7)
    stored = list(Asset.objects.order_by("?").values_list("perceptual_hash", flat=True)[:QUERIES])
    queries = []
    for value in stored:
        unsigned = analysis.unsigned64(value)
        for _ in range(rng.randrange(4)):
            unsigned ^= 1 << rng.randrange(64)
        queries.append(analysis.signed64(unsigned))
    rows = []
    for distance in (similar.default_max_distance(), similar.MAX_DISTANCE):
        similar.matches(queries[0], max_distance=distance)  # warm up
        times, found = [], []
        for query in queries:
            started = time.perf_counter()
            result = similar.matches(query, max_distance=distance)
            times.append(time.perf_counter() - started)
            found.append(len(result))
        times.sort()
        median, p95 = statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000
        rows.append([f"{distance} (exact up to {analysis.guaranteed_radius(analysis.probe_for(distance))})",
                     f"**{median:.1f} ms**", f"{p95:.1f} ms", f"{times[0] * 1000:.1f} ms", f"{times[-1] * 1000:.1f} ms",
                     f"{statistics.mean(found):.1f}", f"{LOOKUP_TARGET_MS:.0f} ms",
                     "yes" if median <= LOOKUP_TARGET_MS else "NO"])  # fmt: skip
    return rows


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    table(f"Image analysis: extra cost per upload (CPU time, median of {RUNS}; the validation decode not counted; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
          ["image", "preview_of", "analyse", "extra per upload", "wall clock (median)", "target", "within"],
          cost_rows())  # fmt: skip
    from bench.library import migrate, reachable

    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres") or not reachable(url):
        print(f"\n(near-duplicate lookup skipped: no PostgreSQL at {url})")
        return
    migrate(url)
    seeded = seed()
    load = os.getloadavg()[0]
    table(f"Near-duplicate lookup at {ROWS:,} assets on PostgreSQL ({QUERIES} queries, whole call incl. the round "
          f"trip; seeded in {seeded:.0f} s, 0 = cached; load average {load:.1f} on {os.cpu_count()} CPUs)",
          ["max_distance", "median", "p95", "best", "max", "found (mean)", "target (median)", "within"],
          lookup_rows())  # fmt: skip


if __name__ == "__main__":
    main()
