"""`make bench`: the request path users hit, against plain references measured in the same run.

Everything dam does goes through a real gunicorn (``deploy/gunicorn.conf.py``, 2 workers), a real
database (PostgreSQL when ``DATABASE_URL`` is set: a ``<name>_bench`` database beside it, made
afresh; SQLite otherwise, said in the output) and storage (local files: the original is read
where it lies, as in production on local storage). Each row of the closing table is one
measurement: dam's figure, its reference from this run, the ratio, the target, PASS or MISS.

1. cold render over HTTP (first request of a rendition: lookup, lock, fetch, decode, resize,
   encode, store, row, 302) per image × format, vs in-process Pillow ``draft`` + ``reducing_gap``
   and thumbor over HTTP, each output's SSIM against a full-size decode + Lanczos beside it;
2. what that request costs outside decode/resize/encode (``Server-Timing``) and in SQL;
3. renders/s at saturation, 20 MP JPEG → WebP, 1/2/4/8 clients, vs a 2-process Pillow pool (and
   thumbor when it is installed: ``--thumbor /path/to/thumbor`` or ``thumbor`` on ``PATH``);
4. warm hits in redirect mode, per-process memo on and off, vs a bare Django 302 view;
5. ingest of a 4 MP JPEG in-process, and through the API at 4 clients vs a bare upload view;
6. an eager batch through a real Celery worker (needs Redis: ``DAM_REDIS_URL``) vs a Pillow pool;
7. memory: a 50 MP JPEG → 400 px in a fresh gunicorn worker vs Pillow in its own process;
8. (PostgreSQL) the API list at 100,000 assets vs a bare view, and the library page (bench/library.py);
9. (not with ``--quick``) the worst cases at the default limits vs README's bounds (bench/limits.py).
10. image analysis per upload and the near-duplicate lookup (bench/analysis.py), and search at
    100,000 assets on PostgreSQL (bench/search.py).

``--quick`` runs fewer repetitions (about a minute and a half). Images are made here (nothing is
downloaded or committed) and cached in bench/.cache/.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
TARGET = 400  # px: the thumbnail the Ruby app asks for most
QUICK = False

IMAGES = {  # name: (size, format)
    "photo-4mp.jpg": ((2448, 1632), "JPEG"),
    "photo-20mp.jpg": ((5472, 3648), "JPEG"),
    "photo-50mp.jpg": ((8660, 5774), "JPEG"),
    "large-15mp.png": ((4740, 3160), "PNG"),
}
ENCODE = {
    "JPEG": {"quality": 85, "progressive": True},
    "WEBP": {"quality": 80, "method": 4},
    "AVIF": {"quality": 60, "speed": 6},
}  # the same options dam uses
SUMMARY: list[list[str]] = []


def runs(full: int, quick: int) -> int:
    return quick if QUICK else full


def make_images() -> dict[str, Path]:
    from bench.pictures import save_photo_like

    paths = {}
    for name, (size, fmt) in IMAGES.items():
        paths[name] = CACHE / name
        if not paths[name].exists():
            save_photo_like(paths[name], size, fmt)
    return paths


# --- references -----------------------------------------------------------------------------------


def reference_draft(path: Path | str, fmt: str, edge: int = TARGET) -> bytes:
    """The in-process reference: Pillow's own best (``thumbnail`` drafts a JPEG, then reduces)."""
    from PIL import Image

    with Image.open(path) as image:
        image.thumbnail((edge, edge), Image.Resampling.LANCZOS, reducing_gap=2.0)
        image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, fmt, **ENCODE[fmt])
        return buffer.getvalue()


def reference_spec(path: str, spec: str) -> int:
    """An eager spec (``fit-WxH`` or ``fill-WxH``, ``format-F``) done with plain Pillow + draft."""
    from PIL import Image, ImageOps

    parts = dict(p.split("-", 1) for p in spec.split("|"))
    fmt = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}[parts["format"]]
    with Image.open(path) as image:
        if "fit" in parts:
            w, h = (int(v) for v in parts["fit"].split("x"))
            image.thumbnail((w, h), Image.Resampling.LANCZOS, reducing_gap=2.0)
        else:
            w, h = (int(v) for v in parts["fill"].split("x"))
            image.draft("RGB", (w * 2, h * 2))
            image = ImageOps.fit(image, (w, h), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, fmt, **ENCODE[fmt])
        return len(buffer.getvalue())


def best_of(n: int, fn: Any, *args: Any) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - started)
    return min(samples)


# --- servers and HTTP -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn with the repository's deploy/gunicorn.conf.py (``preload``, gthread), ``workers``."""

    def __init__(self, var_dir: Path, *, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        self.log = (var_dir / f"gunicorn-{self.port}.log").open("wb")
        full_env = {**os.environ, "DAM_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "bench.settings",
                    "DAM_LOG_LEVEL": "WARNING", "DAM_WEB_LOG_LEVEL": "warning", "PORT": str(self.port),
                    "WEB_CONCURRENCY": str(workers), "DAM_DELIVERY": "redirect",
                    # No recycling: at ~3,000 hits/s a worker restarts every ~2 s (max_requests
                    # 5000), and its restart would be charged to whichever row it lands in.
                    "DAM_WEB_MAX_REQUESTS": "0", **env}  # fmt: skip
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "dam.wsgi"],
            cwd=ROOT, env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(300):
            try:
                if get(self.port, "/readyz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, float, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    seconds = time.perf_counter() - started
    conn.close()
    return response.status, seconds, dict(response.getheaders())


def post_file(conn: http.client.HTTPConnection, path: str, data: bytes, headers: dict[str, str]) -> int:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    conn.request("POST", path, body=body,
                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **headers})  # fmt: skip
    response = conn.getresponse()
    response.read()
    return response.status


def at_concurrency(clients: int, jobs: list[Any], work: Any) -> float:
    """Run ``work(job)`` for every job with ``clients`` threads; jobs per second."""
    pending = list(jobs)
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            work(job)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(jobs) / (time.perf_counter() - started)


def hits_per_second(port: int, path: str, seconds: float, clients: int = 8) -> tuple[float, int]:
    """Hits per second with ``clients`` keep-alive clients, and how many hits were answered."""
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < stop:
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
            except (ConnectionError, http.client.HTTPException):
                # A worker recycled (deploy/gunicorn.conf.py's max_requests) closed this keep-alive
                # connection: open another and ask again, as nginx does for an idempotent GET.
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            assert response.status == 302, response.status
            counts[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds, sum(counts)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (/proc/<pid>/stat, fields 14 and 15)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a PostgreSQL backend that ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (the bench's database is the only busy one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def server_cpu_per_hit(server: Server, path: str, seconds: float) -> tuple[float, float]:
    """Hits/s, and the server side's CPU per hit in µs: the gunicorn workers and PostgreSQL
    together. The load generator shares the 2 CPUs, so hits/s also moves with its own cost and
    the scheduler; CPU per hit is what one hit costs the servers, which is what sets capacity."""
    pids = server.workers() + postgres_pids()
    before = cpu_seconds(pids)
    rate, hits = hits_per_second(server.port, path, seconds)
    return rate, (cpu_seconds(pids) - before) / max(hits, 1) * 1e6


def row(measure: str, ours: str, reference: str, ratio: float, target: str, passed: bool | None) -> None:
    verdict = "—" if passed is None else "PASS" if passed else "MISS"
    SUMMARY.append([measure, ours, reference, f"{ratio:.2f}×", target, verdict])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for line in rows:
        print("| " + " | ".join(line) + " |")
    sys.stdout.flush()


# --- 1 and 2. cold renders ---------------------------------------------------------------------------


def full_decode_reference(path: Path, size: tuple[int, int]) -> Any:
    """What quality is measured against: the original decoded in full, Lanczos to ``size``."""
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def quality(data: bytes, path: Path) -> float:
    """SSIM of an encoded rendition against the full-decode Lanczos reference at its size."""
    from PIL import Image

    from tests.images import ssim

    with Image.open(io.BytesIO(data)) as image:
        picture = image.convert("RGB")
    return ssim(picture, full_decode_reference(path, picture.size))


def bench_cold(
    server: Server, paths: dict[str, Path], assets: dict[str, Any], thumbor: Thumbor | None
) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dam.storage import renditions_storage
    from renditions import services
    from renditions.models import Rendition, RenditionSpec

    repeat = runs(3, 2)
    cells, outside, versus = [], [], []
    phases: dict[str, list[float]] = {}
    for fmt in ("JPEG", "WEBP", "AVIF"):
        spec = RenditionSpec.objects.create(
            name=f"b-{fmt.lower()}", spec=f"fit-{TARGET}x{TARGET}|format-{fmt.lower()}"
        )
        for name, asset in assets.items():
            url = services.named_url(asset, spec)
            http_times, made = [], None
            for _ in range(repeat):
                for made in Rendition.objects.filter(asset=asset, spec=spec):
                    renditions_storage().delete(made.storage_name)
                    made.delete()
                status, seconds, headers = get(server.port, url)
                assert status == 302, (status, url)
                timing = {
                    k: float(v)
                    for k, v in (p.strip().split(";dur=") for p in headers["Server-Timing"].split(","))
                }
                outside.append(timing["app"] - timing["render"])
                for phase in ("fetch", "store", "record"):
                    phases.setdefault(phase, []).append(timing[phase])
                http_times.append(seconds)
            made = Rendition.objects.get(asset=asset, spec=spec)
            with renditions_storage().open(made.storage_name) as handle:
                ours_ssim = quality(handle.read(), paths[name])
            reference = best_of(repeat, reference_draft, paths[name], fmt)
            ratio = min(http_times) / reference
            cell = [name, fmt, ms(min(http_times)), f"{ours_ssim:.4f}", ms(reference), f"{ratio:.2f}×"]
            if thumbor:
                samples = [thumbor.render(name, fmt) for _ in range(repeat)]
                theirs = min(seconds for seconds, _, _ in samples)
                answered = samples[0][2]
                if answered != f"image/{fmt.lower()}":  # e.g. no AVIF encoder in thumbor's Pillow
                    cell += [f"answered {answered}: not compared", "—", "—"]
                else:
                    theirs_ssim = quality(samples[0][1], paths[name])
                    versus.append((min(http_times), theirs, ours_ssim, theirs_ssim))
                    cell += [ms(theirs), f"{theirs_ssim:.4f}", f"{min(http_times) / theirs:.2f}×"]
            cells.append(cell)
    header = ["image", "format", "dam over HTTP", "dam SSIM", "Pillow draft + reducing_gap", "dam / Pillow"]
    if thumbor:
        header += ["thumbor over HTTP", "thumbor SSIM", "dam / thumbor"]
    table("Cold render over HTTP (first request: 302 after render + store + row) vs in-process Pillow draft"
          + (" and thumbor" if thumbor else "") + "; SSIM against a full-size decode + Lanczos",
          header, cells)  # fmt: skip
    ratios = [float(c[5].rstrip("×")) for c in cells]
    worst = max(range(len(cells)), key=lambda i: ratios[i])
    geo = statistics.geometric_mean(ratios)
    row("cold render over HTTP, 400 px (worst cell; geometric mean " + f"{geo:.2f}×)",
        f"{cells[worst][2]} ({cells[worst][0]} → {cells[worst][1]})", cells[worst][4], ratios[worst],
        "≤ 1.05× every cell", all(r <= 1.05 for r in ratios))  # fmt: skip
    if versus:
        ours_geo = statistics.geometric_mean([v[0] for v in versus])
        theirs_geo = statistics.geometric_mean([v[1] for v in versus])
        ours_q = statistics.fmean([v[2] for v in versus])
        theirs_q = statistics.fmean([v[3] for v in versus])
        equal_or_better = ours_q >= theirs_q - 0.001  # encoders differ in the fourth decimal
        row(f"cold render over HTTP vs thumbor (geometric mean of {len(versus)} cells; mean SSIM)",
            f"{ms(ours_geo)}, SSIM {ours_q:.4f}", f"{ms(theirs_geo)}, SSIM {theirs_q:.4f} thumbor",
            ours_geo / theirs_geo, "≤ 0.9×, SSIM ≥ thumbor's − 0.001",
            ours_geo / theirs_geo <= 0.9 and equal_or_better)  # fmt: skip
    # Queries of one cold request, in-process on the same database (Django's test client).
    spec = RenditionSpec.objects.create(name="b-queries", spec="fit-300x300|format-webp")
    with CaptureQueriesContext(connection) as queries:
        status = Client().get(services.named_url(assets["photo-4mp.jpg"], spec)).status_code
    assert status in (200, 302), status
    median_outside = statistics.median(outside)
    split = ", ".join(f"{k} {statistics.median(v):.2f} ms" for k, v in phases.items())
    print(
        f"\nOutside the render, median of {len(outside)}: {median_outside:.2f} ms (min {min(outside):.2f}); "
        f"of which {split}; the rest is the lookup, the lock and the view."
    )
    row(f"cold request outside the render ({connection.vendor}; median of {len(outside)})",
        f"{median_outside:.2f} ms, {len(queries)} queries, original read in place", "—",
        median_outside / 3.0, "≤ 3 ms and ≤ 4 queries", median_outside <= 3.0 and len(queries) <= 4)  # fmt: skip


# --- 3. saturation --------------------------------------------------------------------------------


def _pool_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def bench_saturation(server: Server, paths: dict[str, Path], asset: Any, thumbor: Thumbor | None) -> None:
    from renditions import services
    from renditions.specs import Spec

    levels = (1, 2, 4, 8)
    source = str(paths["photo-20mp.jpg"])
    counter = iter(range(100_000))

    def jobs(c: int) -> list[int]:
        return [TARGET + 10 + next(counter) for _ in range(max(runs(8, 4), runs(3, 2) * c))]

    def dam(edge: int) -> None:
        url = services.adhoc_url(asset, Spec.parse(f"fit-{edge}x{edge}|format-webp"))
        assert get(server.port, url)[0] == 302

    results: dict[str, dict[int, float]] = {"dam": {}, "pool": {}}
    with concurrent.futures.ProcessPoolExecutor(2, initializer=_pool_init) as pool:
        list(pool.map(reference_draft, [source] * 2, ["WEBP"] * 2))  # warm both processes

        def pooled(edge: int) -> None:
            pool.submit(reference_draft, source, "WEBP", edge).result()

        for c in levels:
            results["dam"][c] = at_concurrency(c, jobs(c), dam)
            results["pool"][c] = at_concurrency(c, jobs(c), pooled)
    if thumbor:
        results["thumbor"] = {c: at_concurrency(c, jobs(c), lambda e: thumbor.render("photo-20mp.jpg", "WEBP", e))
                              for c in levels}  # fmt: skip
    header = ["clients", "dam renders/s", "Pillow pool (2 processes)", "dam / pool"]
    if thumbor:
        header += ["thumbor 2 processes", "dam / thumbor"]
    lines = []
    for c in levels:
        line = [str(c), f"{results['dam'][c]:.1f}", f"{results['pool'][c]:.1f}",
                f"{results['dam'][c] / results['pool'][c]:.2f}×"]  # fmt: skip
        if thumbor:
            line += [f"{results['thumbor'][c]:.1f}", f"{results['dam'][c] / results['thumbor'][c]:.2f}×"]
        lines.append(line)
    table(
        "Renders/s at saturation, 20 MP JPEG → WebP fit 400+ px, every request a new rendition", header, lines
    )
    anchor = "thumbor" if thumbor else "pool"
    for c in (4, 8):
        ratio = results["dam"][c] / results[anchor][c]
        label = "thumbor" if thumbor else "Pillow pool (thumbor not installed)"
        row(f"renders/s at saturation, c={c}", f"{results['dam'][c]:.1f}/s", f"{results[anchor][c]:.1f}/s {label}",
            ratio, "≥ 1.0×", ratio >= 1.0)  # fmt: skip


class Thumbor:
    """thumbor 7 on the bench's pictures, 2 processes, no result storage: every request renders."""

    QUALITY = {"JPEG": 85, "WEBP": 80, "AVIF": 60}  # dam's defaults (ENCODE)

    def __init__(self, executable: str, var_dir: Path) -> None:
        conf = var_dir / "thumbor.conf"
        conf.write_text(
            f"LOADER = 'thumbor.loaders.file_loader'\nFILE_LOADER_ROOT_PATH = {str(CACHE)!r}\n"
            "STORAGE = 'thumbor.storages.no_storage'\nRESULT_STORAGE = None\nALLOW_UNSAFE_URL = True\n"
            "QUALITY = 85\nWEBP_QUALITY = 80\nAUTO_WEBP = False\nMAX_AGE = 0\nPROGRESSIVE_JPEG = True\n"
            "AVIF_SPEED = 6\n"  # dam's (ENCODE); thumbor encodes AVIF only with Pillow ≥ 11 in its venv
        )
        self.port = free_port()
        self.log = (var_dir / "thumbor.log").open("wb")
        self.process = subprocess.Popen([executable, "-p", str(self.port), "-i", "127.0.0.1", "-c", str(conf),
                                         "-l", "warning", "--processes", "2"], stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        for _ in range(200):
            try:
                if get(self.port, "/healthcheck")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        for edge in (300, 301, 302, 303):  # both processes have loaded every codec, as dam's workers have
            for fmt in ENCODE:
                self.render("photo-4mp.jpg", fmt, edge)

    def path(self, name: str, fmt: str, edge: int = TARGET) -> str:
        return (
            f"/unsafe/fit-in/{edge}x{edge}/filters:format({fmt.lower()}):quality({self.QUALITY[fmt]})/{name}"
        )

    def render(self, name: str, fmt: str, edge: int = TARGET) -> tuple[float, bytes, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.perf_counter()
        conn.request("GET", self.path(name, fmt, edge))
        response = conn.getresponse()
        body = response.read()
        seconds = time.perf_counter() - started
        conn.close()
        assert response.status == 200, (response.status, self.path(name, fmt, edge))
        return seconds, body, response.getheader("Content-Type", "")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)  # thumbor's --processes children too
        self.process.wait(timeout=30)
        self.log.close()


# --- 4. warm hits ----------------------------------------------------------------------------------


def bench_warm(server: Server, memo_off: Server, asset: Any) -> None:
    """Throughput (hits/s, as a client sees it) and capacity (the servers' CPU per hit, gunicorn
    workers plus PostgreSQL), each against the bare view in the same server, in alternating
    rounds: the verdict is on capacity, the figure least moved by the load generator sharing the
    machine's 2 CPUs (it spends about as much per request as a hit does)."""
    from renditions import services
    from renditions.models import RenditionSpec

    seconds, rounds = runs(1.0, 0.5), runs(4, 3)
    url = services.named_url(asset, RenditionSpec.objects.get(name="b-webp"))
    lines = []
    for label, srv, target in (("memo on", server, 0.9), ("memo off", memo_off, 0.6)):
        assert get(srv.port, url)[0] == 302
        ours_rate, ours_cpu, bare_rate, bare_cpu = [], [], [], []
        for _ in range(rounds):
            rate, cpu = server_cpu_per_hit(srv, url, seconds)
            ours_rate.append(rate)
            ours_cpu.append(cpu)
            rate, cpu = server_cpu_per_hit(srv, "/bench/bare-redirect", seconds)
            bare_rate.append(rate)
            bare_cpu.append(cpu)
        ours, bare = statistics.median(ours_rate), statistics.median(bare_rate)
        ours_us, bare_us = statistics.median(ours_cpu), statistics.median(bare_cpu)
        lines.append([label, f"{ours:,.0f}/s", f"{bare:,.0f}/s", f"{ours / bare:.2f}×",
                      f"{ours_us:.0f} µs", f"{bare_us:.0f} µs", f"{bare_us / ours_us:.2f}×"])  # fmt: skip
        row(f"warm hit, redirect mode, {label}: capacity (server CPU per hit)", f"{ours_us:.0f} µs",
            f"{bare_us:.0f} µs bare 302 view", bare_us / ours_us, f"≥ {target}×", bare_us / ours_us >= target)  # fmt: skip
        row(f"warm hit, redirect mode, {label}: throughput (8 clients on the same CPUs)", f"{ours:,.0f}/s",
            f"{bare:,.0f}/s bare 302 view", ours / bare, f"≥ {target}×", None)  # fmt: skip
    table(f"Warm hits, redirect mode (8 keep-alive clients, {rounds} alternating rounds of {seconds:.1f} s; "
          "medians; server CPU = gunicorn workers + PostgreSQL)",
          ["per-process memo", "dam hits/s", "bare 302 view", "ratio", "dam server CPU per hit",
           "bare view", "capacity ratio"], lines)  # fmt: skip


# --- 5. ingest ---------------------------------------------------------------------------------------


def bench_ingest(server: Server, paths: dict[str, Path]) -> None:
    from assets.ingest import ingest
    from assets.models import ApiKey

    data = paths["photo-4mp.jpg"].read_bytes()
    samples = []
    for _ in range(runs(10, 5)):
        started = time.perf_counter()
        ingest(io.BytesIO(data), filename="photo.jpg")
        samples.append(time.perf_counter() - started)
    in_process = statistics.median(samples)
    _, key = ApiKey.issue("bench")
    count = runs(40, 16)

    def upload(path: str, headers: dict[str, str]) -> float:
        local = threading.local()

        def work(_: int) -> None:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            status = post_file(local.conn, path, data, headers)
            assert status == 201, status

        return at_concurrency(4, list(range(count)), work)

    ours = upload("/api/v1/assets/", {"Authorization": f"Api-Key {key}"})
    bare = upload("/bench/bare-upload", {})
    table("Ingest of a 4 MP JPEG (validate, hash, metadata, store, row)",
          ["path", "dam", "reference"],
          [["in-process, median", ms(in_process), "—"],
           ["API multipart, 4 clients", f"{ours:.1f} files/s", f"{bare:.1f} files/s bare upload view"]])  # fmt: skip
    row("ingest of a 4 MP JPEG, in-process (median)", ms(in_process), "—", in_process / 0.020, "≤ 20 ms",
        in_process <= 0.020)  # fmt: skip
    row("ingest through the API, c=4", f"{ours:.1f} files/s", f"{bare:.1f} files/s bare upload view", ours / bare,
        "≥ 40 files/s", ours >= 40)  # fmt: skip


# --- 6. eager batch ------------------------------------------------------------------------------------

EAGER_SPECS = ("fill-200x200|format-webp", "fit-800x800|format-jpeg", "fit-1600x1600|format-webp")


def bench_eager(paths: dict[str, Path], var_dir: Path) -> None:
    import redis

    from assets.models import Asset
    from renditions.models import RenditionSpec

    broker = os.environ.get("DAM_BENCH_BROKER_URL") or os.environ.get("DAM_REDIS_URL")
    if not broker:
        print("\n### Eager batch\n\nskipped: no Redis (set DAM_REDIS_URL or DAM_BENCH_BROKER_URL)")
        return
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=2).ping()
    except redis.RedisError:
        print(f"\n### Eager batch\n\nskipped: Redis does not answer at {broker}")
        return
    count = runs(50, 16)
    queue = f"bench-eager-{os.getpid()}"
    for i, spec in enumerate(EAGER_SPECS):
        RenditionSpec.objects.create(name=f"b-eager-{i}", spec=spec, eager=True)
    # Uploads through a process configured for the broker (this one runs tasks eagerly).
    env = {**os.environ, "DAM_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "bench.settings",
           "DAM_BROKER_URL": broker, "DAM_TASK_QUEUE": queue, "DAM_LOG_LEVEL": "WARNING"}  # fmt: skip
    code = ("import django, io, sys; django.setup(); from assets.ingest import ingest; "
            f"data = open({str(paths['photo-4mp.jpg'])!r}, 'rb').read(); "
            f"[ingest(io.BytesIO(data), filename='eager.jpg') for _ in range({count})]")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    log = var_dir / "celery.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dam", "worker", "-l", "warning", "-c", "2", "-P", "prefork", "-Q",
         queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        # From the first asset ready to the last: the worker's start-up (and each child's first
        # task, which imports the codecs) is not a throughput; the pool below is warmed too.
        deadline = time.perf_counter() + 300
        pending = Asset.objects.filter(status=Asset.Status.PROCESSING)
        while pending.count() == count:
            assert time.perf_counter() < deadline, log.read_text()[-2000:]
            time.sleep(0.01)
        started, first = time.perf_counter(), pending.count()
        while pending.exists():
            assert time.perf_counter() < deadline, log.read_text()[-2000:]
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    ours = first / elapsed
    source = str(paths["photo-4mp.jpg"])
    with concurrent.futures.ProcessPoolExecutor(2, initializer=_pool_init) as pool:
        list(pool.map(reference_spec, [source] * 2, EAGER_SPECS[:2]))
        started = time.perf_counter()
        list(pool.map(reference_spec, [source] * count * 3, EAGER_SPECS * count))
        reference = count / (time.perf_counter() - started)
    table(f"Eager batch: {count} uploads × 3 eager specs, Celery worker -c 2 (from the first asset ready)",
          ["dam", "2-process Pillow pool, same renders", "ratio"],
          [[f"{ours:.2f} assets/s", f"{reference:.2f} assets/s", f"{ours / reference:.2f}×"]])  # fmt: skip
    row("eager batch (Celery, 3 eager specs)", f"{ours:.2f} assets/s", f"{reference:.2f} assets/s Pillow pool",
        ours / reference, "≥ 0.9×", ours / reference >= 0.9)  # fmt: skip


# --- 7. memory -----------------------------------------------------------------------------------------

RSS_CHILD = """
import sys
sys.path.insert(0, {root!r})
from bench import run
run.reference_draft({warm!r}, "WEBP")  # the same warm-up as the worker gets
run.reset_peak("self")
before = run.status_kib("self", "VmRSS")
run.reference_draft({path!r}, "WEBP")
print(before, run.status_kib("self", "VmHWM"))
"""


def status_kib(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status (Linux only)")


def reset_peak(pid: int | str) -> None:
    """Start VmHWM afresh at the current RSS (Linux ≥ 4.0: ``5`` to ``clear_refs``)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def bench_memory(paths: dict[str, Path], var_dir: Path, asset_50: Any, asset_4: Any) -> None:
    from renditions import services
    from renditions.specs import Spec

    server = Server(var_dir, workers=1)
    try:
        (worker,) = server.workers()
        # Specs no other part of the bench asks for: a rendition made earlier would be a hit.
        warm = services.adhoc_url(asset_4, Spec.parse(f"fit-{TARGET - 7}x{TARGET - 7}|format-webp"))
        assert get(server.port, warm)[0] == 302  # the worker has rendered once: its code is warm
        time.sleep(0.2)
        reset_peak(worker)
        before = status_kib(worker, "VmRSS")
        url = services.adhoc_url(asset_50, Spec.parse(f"fit-{TARGET - 9}x{TARGET - 9}|format-webp"))
        assert get(server.port, url)[0] == 302
        peak = status_kib(worker, "VmHWM")
    finally:
        server.stop()
    code = RSS_CHILD.format(
        root=str(ROOT), warm=str(paths["photo-4mp.jpg"]), path=str(paths["photo-50mp.jpg"])
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    ref_before, ref_peak = (int(v) for v in out.stdout.split())
    ours, reference = (peak - before) / 1024, (ref_peak - ref_before) / 1024
    table("Memory: 50 MP JPEG → 400 px WebP (peak over the warm process, VmHWM − VmRSS before)",
          ["process", "before", "peak", "added"],
          [["dam gunicorn worker (over HTTP)", f"{before / 1024:.0f} MiB", f"{peak / 1024:.0f} MiB", f"+{ours:.1f} MiB"],
           ["Pillow draft, own process", f"{ref_before / 1024:.0f} MiB", f"{ref_peak / 1024:.0f} MiB",
            f"+{reference:.1f} MiB"]])  # fmt: skip
    row("memory, 50 MP JPEG → 400 px in a gunicorn worker", f"+{ours:.1f} MiB", f"+{reference:.1f} MiB Pillow draft",
        ours / max(reference, 0.1), "≤ +8 MiB", ours <= 8)  # fmt: skip


# --- 8. API list (PostgreSQL, 100,000 assets) ------------------------------------------------------------


def bench_library() -> None:
    from bench import library

    out = library.run_in_subprocess(capture=True)
    for line in out.splitlines():
        if line.startswith("SUMMARY api-list "):
            ours, bare = (float(v) for v in line.split()[2:4])
            row("API list, first page of 50 at 100,000 assets (p50)", f"{ours:.1f} ms", f"{bare:.1f} ms bare view",
                ours / bare, "≤ 3×", ours / bare <= 3)  # fmt: skip
        else:
            print(line)


# --- main -------------------------------------------------------------------------------------------------


def database(var_dir: Path) -> str:
    """The bench's own database: ``<DATABASE_URL's name>_bench`` on PostgreSQL, made afresh."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        os.environ.pop("DATABASE_URL", None)
        return "SQLite (DATABASE_URL not set: the cold-path figures are not PostgreSQL's)"
    import psycopg

    base, name = url.rsplit("/", 1)
    bench_name = f"{name}_bench"
    with psycopg.connect(
        f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{bench_name}"')
    os.environ["DATABASE_URL"] = f"{base}/{bench_name}"
    return f"PostgreSQL ({bench_name})"


def machine_speed(photo: Path) -> str:
    """What absolute rows depend on, measured now: a CPU-bound step (a full decode of the 4 MP
    photo) and a database round trip back to back and after 20 ms idle (a virtual machine takes
    a while to wake the server's process). Runs of different days compare through these."""
    from django.db import connection
    from PIL import Image

    def full_decode() -> None:
        with Image.open(photo) as image:
            image.load()

    decode = best_of(5, full_decode)
    line = f"machine: full decode of {photo.name} {ms(decode)}"
    if connection.vendor == "postgresql":
        samples: dict[float, list[float]] = {0.0: [], 0.02: []}
        with connection.cursor() as cursor:
            for _ in range(30):
                for idle, found in samples.items():
                    time.sleep(idle)
                    started = time.perf_counter()
                    cursor.execute("SELECT 1")
                    cursor.fetchone()
                    found.append(time.perf_counter() - started)
        back_to_back, after_idle = (statistics.median(samples[k]) for k in (0.0, 0.02))
        line += f"; PostgreSQL SELECT 1 {back_to_back * 1000:.2f} ms back to back, {after_idle * 1000:.2f} ms after 20 ms idle"
    return line


def find_thumbor(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    return shutil.which("thumbor")


def main() -> None:
    global QUICK
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about a minute and a half)")
    parser.add_argument("--thumbor", help="a thumbor executable (its own venv) for the saturation rows")
    parser.add_argument("--no-library", action="store_true", help="skip the 100,000-asset PostgreSQL part")
    args = parser.parse_args()
    QUICK = args.quick
    import PIL

    from bench import analysis, search

    paths = make_images()
    with tempfile.TemporaryDirectory(prefix="dam-bench-") as tmp:
        var_dir = Path(tmp) / "var"
        (var_dir / "static").mkdir(parents=True)  # WhiteNoise warns about a missing STATIC_ROOT
        os.environ.update(
            DAM_VAR_DIR=str(var_dir), DAM_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="bench.settings"
        )
        os.environ.setdefault("DAM_SECRET_KEY", "bench-only-secret-key")
        os.environ.pop("DAM_BROKER_URL", None)  # this process ingests without queueing
        db = database(var_dir)
        import django

        django.setup()
        from django.core.management import call_command

        from assets.ingest import ingest

        call_command("migrate", verbosity=0)
        thumbor_path = find_thumbor(args.thumbor)
        print(f"dam bench — Python {sys.version.split()[0]}, Pillow {PIL.__version__}, {os.cpu_count()} CPUs, "
              f"{db}, local storage, gunicorn deploy/gunicorn.conf.py -w 2; target {TARGET} px"
              f"{'; --quick' if QUICK else ''}; thumbor: {thumbor_path or 'not installed'}")  # fmt: skip
        print(machine_speed(paths["photo-4mp.jpg"]))
        assets = {}
        for name, path in paths.items():
            with path.open("rb") as f:
                assets[name] = ingest(f, filename=name)
        server = Server(var_dir)
        thumbor = Thumbor(thumbor_path, var_dir) if thumbor_path else None
        memo_off = Server(var_dir, DAM_HIT_CACHE_SECONDS="0", DAM_API_THROTTLE_RATE="100000/min")
        try:
            from renditions import services
            from renditions.specs import Spec

            for i in range(4):  # both workers of each server have rendered every format once first
                for srv in (server, memo_off):
                    for fmt in ENCODE:
                        spec = Spec.parse(f"width-{40 + i}|format-{fmt.lower()}")
                        get(srv.port, services.adhoc_url(assets["photo-4mp.jpg"], spec))
            bench_cold(server, paths, assets, thumbor)
            bench_warm(server, memo_off, assets["photo-4mp.jpg"])
            bench_saturation(server, paths, assets["photo-20mp.jpg"], thumbor)
            bench_ingest(memo_off, paths)
        finally:
            server.stop()
            memo_off.stop()
            if thumbor:
                thumbor.stop()
        bench_memory(paths, var_dir, assets["photo-50mp.jpg"], assets["photo-4mp.jpg"])
        bench_eager(paths, var_dir)
    analysis.run_in_subprocess()  # image analysis per upload, near-duplicate lookup at 100,000 (bench/analysis.py)
    if not args.no_library:
        bench_library()
        search.run_in_subprocess()  # q=, tag= and the admin's search at 100,000 assets, on PostgreSQL (bench/search.py)
    if not QUICK:
        from bench import limits

        limits.report()  # worst cases at the default limits vs README's bounds (bench/limits.py)
    table("Summary (the issue's table): dam, its reference from this run, ratio, target",
          ["measure", "dam", "reference", "ratio", "target", "verdict"], SUMMARY)  # fmt: skip
    met = sum(r[5] == "PASS" for r in SUMMARY)
    judged = sum(r[5] != "—" for r in SUMMARY)
    print(f"\n{met} of {judged} rows with a verdict meet their target.")


if __name__ == "__main__":
    main()
