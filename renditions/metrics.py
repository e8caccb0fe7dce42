"""Prometheus counters per spec: renders, failures, latency. Scraped at /metrics.

Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (prometheus_client's
multiprocess mode) so /metrics sums every worker; without it each worker reports its own.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RENDERS = Counter("dam_renders_total", "Renditions generated", ["spec"])
FAILURES = Counter("dam_render_failures_total", "Renders that failed", ["spec"])
LATENCY = Histogram("dam_render_seconds", "Fetch + render + store time of one rendition", ["spec"],
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))  # fmt: skip
