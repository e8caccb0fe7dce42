"""gunicorn settings for a dam web node: ``gunicorn --config deploy/gunicorn.conf.py dam.wsgi``.

Run behind the nginx front in deploy/nginx/ (it buffers whole requests, so a slow client never
holds a gunicorn thread). Every number can be changed from the environment; defaults suit one
node with a few cores. Used as is by ``make cluster`` and the cluster test suite.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

# Where to listen: a port on loopback for nginx in front (PORT, as on most platforms), or a full
# address / unix socket in DAM_BIND.
bind = [os.environ.get("DAM_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]

# Processes × threads. Renders are CPU-bound and bounded per process by DAM_RENDER_SLOTS; the
# threads keep cheap requests (API reads, warm hits) flowing while a render runs.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "gthread"
threads = int(os.environ.get("DAM_WEB_THREADS", "4"))

# A worker silent this long is killed and replaced: a render has DAM_RENDER_WAIT_SECONDS (10 s)
# to get a slot, S3 calls time out after 3 s + 20 s, so 60 s only ever catches a hung worker.
timeout = int(os.environ.get("DAM_WEB_TIMEOUT", "60"))
graceful_timeout = 30  # in-flight requests finish on SIGTERM (deploys)
# Longer than nginx's upstream keepalive_timeout (deploy/nginx), so nginx closes idle connections
# first and never sends a request on a connection gunicorn is closing.
keepalive = 75

# Recycle each worker after this many requests (± jitter, so they do not all restart together):
# bounds the damage of a slow leak in any library (Pillow, libheif, boto3 pools).
max_requests = int(os.environ.get("DAM_WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("DAM_WEB_MAX_REQUESTS_JITTER", "500"))

# Request line and headers: gunicorn's own caps (nginx in front applies tighter ones).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Load Django once in the master; workers fork from it (faster start, shared pages).
preload_app = True
# X-Forwarded-* are trusted from the local nginx only.
forwarded_allow_ips = os.environ.get("DAM_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

accesslog = os.environ.get("DAM_WEB_ACCESS_LOG") or None  # nginx logs every request already
errorlog = "-"
loglevel = os.environ.get("DAM_WEB_LOG_LEVEL", "info")
capture_output = False  # Django logs to stderr itself (settings.LOGGING)


def on_starting(server: Any) -> None:
    """prometheus_client's multiprocess mode: start from an empty directory (stale files of a
    previous run would be summed in)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A recycled or killed worker's live gauges leave the sums (its counters stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
