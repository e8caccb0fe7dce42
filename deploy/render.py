"""Fill the ``${DAM_...}`` placeholders of a deploy template from the environment.

    python deploy/render.py deploy/nginx/dam.conf.template > /etc/nginx/dam.conf

Only ``${NAME}`` with an upper-case name is replaced (nginx's own ``$variables`` are left alone),
defaults below apply when a variable is unset, and a placeholder with neither is an error rather
than an empty string in a config file.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")

DEFAULTS = {
    "DAM_NGINX_WORKERS": "auto",
    "DAM_NGINX_LISTEN": "80",
    "DAM_NGINX_RUN_DIR": "/run/dam-nginx",
    "DAM_NGINX_LOG_DIR": "/var/log/dam-nginx",
    "DAM_NGINX_TEMP_DIR": "/var/lib/dam-nginx/tmp",
    "DAM_NGINX_CACHE_DIR": "/var/cache/dam-nginx",
    "DAM_NGINX_CACHE_MAX_SIZE": "10g",
    "DAM_NGINX_MAX_BODY": "51m",  # DAM_MAX_UPLOAD_BYTES (50 MiB) + multipart framing
    "DAM_NGINX_HEADER_TIMEOUT": "10s",
    "DAM_NGINX_BODY_TIMEOUT": "15s",
}


def upstreams(addresses: str) -> str:
    """``127.0.0.1:8001,127.0.0.1:8002`` → one nginx ``server`` line each."""
    lines = [f"server {a.strip()} max_fails=1 fail_timeout=5s;" for a in addresses.split(",") if a.strip()]
    if not lines:
        raise SystemExit("DAM_WEB_NODES is empty: name at least one host:port")
    return "\n        ".join(lines)


def render(template: str, environ: Mapping[str, str]) -> str:
    values = {**DEFAULTS, **{k: v for k, v in environ.items() if k.startswith("DAM_")}}
    if "DAM_NGINX_UPSTREAMS" not in values:
        values["DAM_NGINX_UPSTREAMS"] = upstreams(environ.get("DAM_WEB_NODES", "127.0.0.1:8000"))
    missing = sorted({m for m in PLACEHOLDER.findall(template) if m not in values})
    if missing:
        raise SystemExit(f"unset template variables: {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.stdout.write(render(Path(sys.argv[1]).read_text(), os.environ))
