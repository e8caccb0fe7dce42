"""`make bench`: dam's rendition path against plain-Pillow references, on the same images, in one run.

Prints a Markdown table per measurement, each row with its reference and the ratio to it:

1. cold render in-process, per output format, through the real code path (the imagekit adapter
   and the pure pipeline) vs Pillow without ``draft`` and Pillow with ``draft`` + ``reducing_gap``;
2. the cold first request over HTTP through gunicorn (render + store + record + serve);
3. warm hits per second vs a bare Django view that returns a redirect, under the same gunicorn;
4. peak RSS of one render of a 50 MP JPEG to 400 px, each in a fresh process, vs the references;
5. then the worst cases at the limits, the library page and the image analysis (bench/limits.py,
   bench/library.py, bench/analysis.py: the extra cost per upload, the near-duplicate lookup).

Images are made here (nothing is downloaded or committed) and cached in bench/.cache/.
"""

from __future__ import annotations

import http.client
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
TARGET = 400  # px: the thumbnail the Ruby app asks for most
RUNS = 7
HTTP_SECONDS = 5.0
HTTP_CLIENTS = 8

IMAGES = {  # name: (size, format)
    "photo-20mp.jpg": ((5472, 3648), "JPEG"),
    "photo-4mp.jpg": ((2448, 1632), "JPEG"),
    "large.png": ((3000, 2000), "PNG"),
    "photo-50mp.jpg": ((8660, 5774), "JPEG"),
}
ENCODE = {
    "JPEG": {"quality": 85, "progressive": True},
    "WEBP": {"quality": 80, "method": 4},
    "AVIF": {"quality": 60, "speed": 6},
}  # fmt: skip — the same options dam uses


def make_images() -> dict[str, Path]:
    from PIL import Image, ImageDraw, ImageFilter

    CACHE.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (size, fmt) in IMAGES.items():
        path = CACHE / name
        paths[name] = path
        if path.exists():
            continue
        # A photo-like picture: gradients, shapes and fine noise (JPEG has real work to do).
        base = Image.linear_gradient("L").resize(size).convert("RGB")
        draw = ImageDraw.Draw(base)
        for i in range(40):
            x, y = (i * 7919) % size[0], (i * 104729) % size[1]
            draw.ellipse(
                (x, y, x + size[0] // 6, y + size[1] // 6), fill=((i * 50) % 255, (i * 90) % 255, 120)
            )
        noise = Image.effect_noise(size, 40).convert("RGB")
        picture = Image.blend(base.filter(ImageFilter.GaussianBlur(3)), noise, 0.15)
        picture.save(path, fmt, **({"quality": 92} if fmt == "JPEG" else {"compress_level": 6}))
    return paths


def setup_django(var_dir: Path) -> None:
    os.environ.update(
        DAM_VAR_DIR=str(var_dir), DAM_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="bench.settings"
    )
    import django

    django.setup()


# --- 1. in-process cold renders -------------------------------------------------------------------


def reference_plain(path: Path, fmt: str) -> bytes:
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        scale = TARGET / max(image.size)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
        buffer = io.BytesIO()
        image.save(buffer, fmt, **ENCODE[fmt])
        return buffer.getvalue()


def reference_draft(path: Path, fmt: str) -> bytes:
    from PIL import Image

    with Image.open(path) as image:
        image.thumbnail((TARGET, TARGET), Image.Resampling.LANCZOS, reducing_gap=2.0)  # drafts JPEG
        image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, fmt, **ENCODE[fmt])
        return buffer.getvalue()


def dam_render(path: Path, fmt: str) -> bytes:
    from renditions.generators import generate
    from renditions.pipeline import RenderLimits
    from renditions.specs import Spec

    spec = Spec.parse(f"fit-{TARGET}x{TARGET}|format-{fmt.lower()}")
    source_format = "PNG" if path.suffix == ".png" else "JPEG"
    with path.open("rb") as source:
        return generate(
            source, spec, source_format=source_format, focal_point=None, limits=RenderLimits()
        ).data


def timed(fn, *args) -> float:
    return compare([fn], *args)[0]


def compare(fns: list, *args) -> list[float]:
    """Best of RUNS for each contender, interleaved so drift on a busy 2-core box hits all alike
    (the minimum is timeit's advice: noise only ever adds time)."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(RUNS):
        for index, fn in enumerate(fns):
            started = time.perf_counter()
            fn(*args)
            samples[index].append(time.perf_counter() - started)
    return [min(s) for s in samples]


def bench_in_process(paths: dict[str, Path]) -> list[list[str]]:
    rows = []
    for name in ("photo-20mp.jpg", "photo-4mp.jpg", "large.png"):
        for fmt in ("JPEG", "WEBP", "AVIF"):
            ours, plain, draft = compare([dam_render, reference_plain, reference_draft], paths[name], fmt)
            verdict = "ok" if ours <= 1.15 * draft else "MISS"
            rows.append([name, fmt, ms(ours), ms(plain), ms(draft), f"{ours / plain:.2f}×",
                         f"{ours / draft:.2f}× ({verdict}, target ≤ 1.15×)"])  # fmt: skip
    return rows


# --- 2 and 3. over HTTP through gunicorn --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(var_dir: Path, port: int, delivery: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DAM_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "bench.settings",
           "DAM_DELIVERY": delivery, "DAM_LOG_LEVEL": "WARNING"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dam.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "-k", "gthread", "--preload",
         "--threads", "4", "--keep-alive", "5", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def get(port: int, path: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - started


def warm_up(port: int, asset, delivery: str) -> None:
    """Both workers serve a few renders first: measure cold *renders*, not cold processes."""
    from renditions import services
    from renditions.specs import Spec

    urls = [services.adhoc_url(asset, Spec.parse(f"width-{32 + i}|format-{f}"))
            for i in range(4) for f in ("jpeg", "webp", "avif")]  # fmt: skip
    threads = [threading.Thread(target=get, args=(port, url)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def hits_per_second(port: int, path: str) -> float:
    """HTTP_CLIENTS keep-alive clients hammer ``path`` for HTTP_SECONDS (loopback only)."""
    counts = [0] * HTTP_CLIENTS
    stop = time.perf_counter() + HTTP_SECONDS

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < stop:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status in (200, 302), response.status
            counts[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(HTTP_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / HTTP_SECONDS


def bench_http(paths: dict[str, Path], var_dir: Path) -> tuple[list[list[str]], list[list[str]]]:
    from assets.ingest import ingest
    from renditions import services
    from renditions.models import RenditionSpec

    assets = {}
    for name in ("photo-20mp.jpg", "photo-4mp.jpg", "large.png"):
        with paths[name].open("rb") as f:
            assets[name] = ingest(f, filename=name)
    cold_rows, warm_rows = [], []
    for delivery in ("redirect", "proxy"):
        port = free_port()
        server = start_gunicorn(var_dir, port, delivery)
        try:
            warm_up(port, assets["photo-4mp.jpg"], delivery)
            for fmt in ("JPEG", "WEBP", "AVIF"):
                spec = RenditionSpec.objects.create(name=f"b-{delivery}-{fmt.lower()}",
                                                    spec=f"fit-{TARGET}x{TARGET}|format-{fmt.lower()}")  # fmt: skip
                for name, asset in assets.items():
                    status, seconds = get(port, services.named_url(asset, spec))
                    assert status in (200, 302), status
                    if delivery == "redirect":
                        draft = timed(reference_draft, paths[name], fmt)
                        cold_rows.append([name, fmt, ms(seconds), ms(draft), f"{seconds / draft:.2f}×"])
            warm_url = services.named_url(
                assets["photo-4mp.jpg"], RenditionSpec.objects.get(name=f"b-{delivery}-webp")
            )
            get(port, warm_url)
            ours = hits_per_second(port, warm_url)
            bare = hits_per_second(port, "/bench/bare-redirect")
            target = (
                f"({'ok' if ours >= 0.7 * bare else 'MISS'}, target ≥ 0.7×)" if delivery == "redirect" else ""
            )
            warm_rows.append([f"warm hit, {delivery} mode", f"{ours:,.0f}/s", f"{bare:,.0f}/s",
                              f"{ours / bare:.2f}× {target}".strip()])  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)
    return cold_rows, warm_rows


# --- 4. peak RSS ----------------------------------------------------------------------------------


RSS_CHILD = """
import sys, os
sys.path.insert(0, {root!r})
os.environ.update(DAM_VAR_DIR={var!r}, DJANGO_SETTINGS_MODULE="bench.settings")
import django; django.setup()
from bench import run  # the same imports for every contender
import renditions.generators, PIL.Image
before = run.high_water_kib()
getattr(run, {fn!r})(run.Path({path!r}), "WEBP")
print(before, run.high_water_kib())
"""


def high_water_kib() -> int:
    """Peak RSS of this process (VmHWM). Unlike ru_maxrss, it starts afresh at exec, so the
    parent's own peak (it decoded 20 MP images) does not leak into the child's number."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def peak_rss(fn: str, path: Path, var_dir: Path) -> tuple[int, int]:
    code = RSS_CHILD.format(root=str(ROOT), var=str(var_dir), fn=fn, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    before, after = (int(v) for v in out.stdout.split())
    return before, after  # KiB


def bench_rss(paths: dict[str, Path], var_dir: Path) -> list[list[str]]:
    path = paths["photo-50mp.jpg"]
    results = {fn: peak_rss(fn, path, var_dir) for fn in ("dam_render", "reference_draft", "reference_plain")}
    ours = results["dam_render"][1]
    rows = []
    for fn, label in (
        ("reference_draft", "Pillow draft + reducing_gap"),
        ("reference_plain", "Pillow without draft"),
    ):
        before, after = results[fn]
        verdict = (
            f" ({'ok' if ours <= 1.2 * after else 'MISS'}, target ≤ 1.2×)" if fn == "reference_draft" else ""
        )
        rows.append([label, mib(results["dam_render"][1]), mib(after), f"{ours / after:.2f}×{verdict}",
                     f"{mib(results['dam_render'][0])} / {mib(before)}"])  # fmt: skip
    return rows


# --- output -----------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    import PIL

    from bench import analysis, library, limits, search

    paths = make_images()
    with tempfile.TemporaryDirectory(prefix="dam-bench-") as tmp:
        var_dir = Path(tmp) / "var"
        # The bench serves no static files, but WhiteNoise warns ("No directory at") in every
        # process that loads the app if STATIC_ROOT is missing: an empty one keeps the output clean.
        (var_dir / "static").mkdir(parents=True)
        setup_django(var_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"dam bench — Python {sys.version.split()[0]}, Pillow {PIL.__version__}, {os.cpu_count()} CPUs; "
              f"target {TARGET} px; best of {RUNS} interleaved runs")  # fmt: skip
        table("Cold render in-process (to fit 400×400)",
              ["image", "format", "dam", "Pillow, no draft", "Pillow draft+reducing_gap", "dam / no draft",
               "dam / draft"], bench_in_process(paths))  # fmt: skip
        cold, warm = bench_http(paths, var_dir)
        table("Cold first request over HTTP (gunicorn, 2 workers; render + store + record + 302)",
              ["image", "format", "first request", "in-process Pillow draft", "ratio"], cold)  # fmt: skip
        table(f"Warm hits over HTTP ({HTTP_CLIENTS} keep-alive clients, {HTTP_SECONDS:.0f} s, gunicorn 2×4 gthread)",
              ["path", "dam", "bare Django redirect view", "ratio"], warm)  # fmt: skip
        table("Peak RSS, 50 MP JPEG → 400 px WebP (fresh process each, same imports)",
              ["reference", "dam peak", "reference peak", "ratio", "baseline after imports (dam / ref)"],
              bench_rss(paths, var_dir))  # fmt: skip
    limits.report()  # worst cases at the default limits vs README's bounds (bench/limits.py)
    library.run_in_subprocess()  # the editors' library page at 100,000 assets, on PostgreSQL (bench/library.py)
    analysis.run_in_subprocess()  # image analysis per upload, near-duplicate lookup at 100,000 (bench/analysis.py)
    search.run_in_subprocess()  # q=, tag= and the admin's search at 100,000 assets, on PostgreSQL (bench/search.py)


if __name__ == "__main__":
    main()
