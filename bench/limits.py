"""`make bench`, part 2: the worst case an input at the default limits may cost, against the
bound README's limits table promises.

Each case is the most expensive input the default limits let through for its class (a still at
the per-frame cap, animations at the total cap), validated as ingest validates it and then
rendered once at the largest output edge, in a fresh process; the peak RSS that process (or the
sandbox child its validation forked, for lossless and arithmetic JPEGs) added over its imports and
the wall time of validate + render are compared with the documented bound.

Run alone: ``python bench/limits.py`` (images are made here and cached in bench/.cache/).
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    row: str  # README, limits table: how its row begins
    make: Callable[[], bytes]
    fmt: str
    spec: str
    memory_bound_mib: int  # README, limits table: peak memory a request of this class may add
    time_bound_s: float  # README: wall time of validate + render on one core of the dev machine


def _still_jpeg(**options: object) -> bytes:
    from PIL import Image

    size = (10_000, 10_000)  # DAM_MAX_IMAGE_PIXELS
    picture = Image.merge("RGB", [Image.linear_gradient("L").resize(size),
                                  Image.radial_gradient("L").resize(size),
                                  Image.effect_noise(size, 30)])  # fmt: skip
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85, **options)
    return buffer.getvalue()


def _progressive_444_jpeg() -> bytes:
    # libjpeg holds a progressive JPEG's whole coefficient arrays (2 bytes per sample) until its
    # last scan, one per component at full resolution when chroma is not subsampled
    return _still_jpeg(progressive=True, subsampling=0)


def _arithmetic_progressive_444_jpeg() -> bytes:
    # the same coefficients re-coded (Debian's jpegtran): validated at full size in the sandbox
    # child, read whole (its decoder cannot suspend) and rendered at full size
    done = subprocess.run(["jpegtran", "-arithmetic", "-progressive"], input=_progressive_444_jpeg(),
                          capture_output=True, check=True, timeout=300)  # fmt: skip
    return done.stdout


def _lossless_jpeg() -> bytes:
    from tests import images

    return images.lossless_jpeg_flat((10_000, 10_000))  # RGB, decoded at full size (no DCT scaling)


def _still_avif() -> bytes:
    from PIL import Image

    size = (10_000, 10_000)
    picture = Image.merge("RGB", [Image.linear_gradient("L").resize(size),
                                  Image.radial_gradient("L").resize(size),
                                  Image.effect_noise(size, 30)])  # fmt: skip
    buffer = io.BytesIO()
    picture.save(buffer, "AVIF", quality=50, speed=10)  # ~10 s; a HEIC (x265) takes minutes: none
    return buffer.getvalue()


def _still_png() -> bytes:
    from PIL import Image

    size = (10_000, 10_000)
    bands = [Image.linear_gradient("L").resize(size), Image.radial_gradient("L").resize(size)]
    picture = Image.merge("RGBA", [*bands, bands[0].transpose(Image.Transpose.ROTATE_90), bands[1]])
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _gif_two_full_frames() -> bytes:
    from tests import images

    return images.gif_with_frames((7_071, 7_071), [(0, 0, 7_071, 7_071)] * 2)  # 100 MP in all


def _gif_thousand_frames() -> bytes:
    from tests import images

    return images.gif_with_frames((316, 316), [(0, 0, 316, 316)] * 1000)  # DAM_MAX_FRAMES, ~100 MP


def _webp_big_canvas() -> bytes:
    from tests import images

    return images.webp_canvas((7_071, 7_071), 2)  # a 1 KB file that decodes to 100 MP


CASES = [
    Case("still JPEG 10000×10000", "still baseline JPEG, 100 MP", _still_jpeg, "JPEG", "fit-4096x4096",
         700, 15.0),
    Case("progressive 4:4:4 JPEG 10000×10000", "still progressive JPEG, 100 MP, 4:4:4", _progressive_444_jpeg,
         "JPEG", "fit-4096x4096", 1100, 15.0),
    Case("arithmetic progressive 4:4:4 JPEG 10000×10000", "arithmetic-coded progressive JPEG, 100 MP, 4:4:4",
         _arithmetic_progressive_444_jpeg, "JPEG", "fit-4096x4096", 1100, 30.0),
    Case("lossless RGB JPEG 10000×10000", "lossless JPEG, 100 MP RGB", _lossless_jpeg, "JPEG", "fit-4096x4096",
         700, 15.0),
    Case("still AVIF 10000×10000", "still AVIF, 100 MP", _still_avif, "AVIF", "fit-4096x4096", 1000, 30.0),
    Case("still PNG 10000×10000 RGBA", "still PNG, 100 MP RGBA", _still_png, "PNG", "fit-4096x4096", 900, 30.0),
    Case("animated GIF 2 × 7071×7071", "animated GIF, 2 frames × 50 MP", _gif_two_full_frames, "GIF",
         "fit-4096x4096", 1000, 30.0),
    # 1000 × 223×223 output frames: just inside DAM_MAX_ANIMATION_PIXELS, so all are kept and encoded
    Case("animated GIF 1000 × 316×316", "animated GIF, 1000 frames", _gif_thousand_frames, "GIF", "fit-223x223",
         300, 30.0),
    Case("animated WebP 2 × 7071×7071 canvas", "animated WebP, 2 frames × 50 MP canvas", _webp_big_canvas, "WEBP",
         "fit-4096x4096", 1000, 30.0),
]  # fmt: skip


def _source(case: Case) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (
        "limits-" + "".join(c if c.isalnum() else "-" for c in case.name) + "." + case.fmt.lower()
    )
    if not path.exists():
        path.write_bytes(case.make())
    return path


# --- one case, in a fresh process ----------------------------------------------------------------


def measure(index: int) -> dict[str, float]:
    """Validate and render case ``index``; what this process added, and how long it took."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings

    from assets.ingest import limits_from_settings
    from assets.validators import inspect_upload
    from renditions.generators import generate
    from renditions.services import render_limits
    from renditions.specs import Spec

    case = CASES[index]
    path = _source(case)
    baseline = _rss_now()
    started = time.perf_counter()
    with path.open("rb") as source:
        facts = inspect_upload(source, limits_from_settings()).facts
        validated = time.perf_counter()
        # A sandboxed validation decodes in a forked child: its peak (which counts the pages it
        # shares with this process, ~baseline) is memory the request uses too, though not in this
        # process's VmHWM. Read now: later subprocesses (ctypes' find_library) would count too.
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        made = generate(source, Spec.parse(case.spec), source_format=facts.format, focal_point=None,
                        limits=render_limits())  # fmt: skip
    rendered = time.perf_counter()
    del made.data
    retained = _rss_now()
    peak = _high_water_mark()
    return {"added": (max(peak, child) - baseline) / MIB, "peak": max(peak, child) / MIB,
            "child": max(0, child - baseline) / MIB, "retained": (retained - baseline) / MIB, "validate": validated - started,
            "render": rendered - validated, "frames": made.frames, "out": f"{made.width}×{made.height}",
            "bytes": path.stat().st_size, "sandbox": settings.DAM_DECODE_SANDBOX}  # fmt: skip


def _high_water_mark() -> int:
    """Peak RSS of this process image (VmHWM). Not ru_maxrss: Linux carries that across exec,
    so a child would report the peak of the parent that started it."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def _rss_now() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def rows() -> list[list[str]]:
    found = []
    for index, case in enumerate(CASES):
        _source(case)  # made in this process, so the measuring one only reads it
        done = subprocess.run([sys.executable, __file__, "--case", str(index)], cwd=ROOT, capture_output=True,
                              text=True, timeout=600, env={**os.environ, "DAM_LOG_LEVEL": "WARNING"})  # fmt: skip
        if done.returncode != 0:
            found.append(
                [case.name, "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1], "", "", ""]
            )
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        seconds = result["validate"] + result["render"]
        memory_ok = result["added"] <= case.memory_bound_mib
        time_ok = seconds <= case.time_bound_s
        found.append([
            f"{case.name} ({result['bytes'] / MIB:,.1f} MiB file) → `{case.spec}` ({result['frames']} × {result['out']})",
            f"{result['added']:,.0f} MiB (≤ {case.memory_bound_mib:,}: {'ok' if memory_ok else 'OVER'})"
            + (f"; validation child {result['child']:,.0f}" if result["child"] else ""),
            f"{result['validate']:,.1f} + {result['render']:,.1f} s (≤ {case.time_bound_s:g}: {'ok' if time_ok else 'OVER'})",
            f"{result['peak']:,.0f} MiB",
            f"{result['retained']:,.0f} MiB",
        ])  # fmt: skip
    return found


def sandbox_cost(runs: int = 30) -> list[str]:
    """Validation of a 4 MP JPEG in-process vs in the decode sandbox (DAM_DECODE_SANDBOX=all)."""
    import dataclasses
    import statistics

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from PIL import Image

    from assets.ingest import limits_from_settings
    from assets.validators import inspect_upload

    size = (2448, 1632)
    picture = Image.merge("RGB", [Image.linear_gradient("L").resize(size), Image.effect_noise(size, 40),
                                  Image.radial_gradient("L").resize(size)])  # fmt: skip
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=92)
    data, limits = buffer.getvalue(), limits_from_settings()
    times: dict[str, list[float]] = {"rare": [], "all": []}
    for _ in range(runs):  # interleaved, so load on the machine hits both alike
        for mode, found in times.items():
            started = time.perf_counter()
            inspect_upload(io.BytesIO(data), dataclasses.replace(limits, sandbox=mode))
            found.append(time.perf_counter() - started)
    inline, isolated = (statistics.median(times[m]) * 1000 for m in ("rare", "all"))
    return [f"{inline:.1f} ms", f"{isolated:.1f} ms", f"{isolated - inline:+.1f} ms",
            f"{_rss_now() / MIB:,.0f} MiB"]  # fmt: skip


def report() -> None:
    print("\n### Decode sandbox: validating a 4 MP JPEG (median of 30, interleaved)\n")
    print(
        "| in-process (`rare`, the default) | in a child process (`all`) | cost of the child | process RSS |"
    )
    print("|---|---|---|---|")
    print("| " + " | ".join(sandbox_cost()) + " |")
    print("\n### Worst case at the default limits: validate + one rendition (fresh process each)\n")
    print(
        "| input → rendition | memory added (bound) | time validate + render (bound) | peak RSS | still held after |"
    )
    print("|---|---|---|---|---|")
    for row in rows():
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        report()
