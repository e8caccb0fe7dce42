"""The site's public base URL, for absolute URLs made outside a request (webhook payloads, made
by workers and senders that never see a Host header).

``DAM_PUBLIC_BASE_URL`` when set (it should be, in production: a deploy check says so). Else it
is derived from the first concrete name in ``DAM_ALLOWED_HOSTS``: ``http://`` in the embedded
default (``make run`` sets ``DAM_PUBLIC_BASE_URL`` to the address it serves), ``https://``
otherwise.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

FALLBACK_HOST = "localhost"


def public_base_url() -> str:
    if settings.DAM_PUBLIC_BASE_URL:
        return str(settings.DAM_PUBLIC_BASE_URL)
    scheme = "http" if settings.DAM_EMBEDDED else "https"
    return f"{scheme}://{_first_concrete_host()}"


def _first_concrete_host() -> str:
    # "*" and ".example.com" are patterns, not names a URL can use.
    names = [h for h in settings.ALLOWED_HOSTS if h != "*" and not h.startswith(".")]
    return names[0] if names else FALLBACK_HOST


@checks.register("dam", deploy=True)
def check_public_base_url(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DAM_PUBLIC_BASE_URL:
        return []
    return [checks.Warning(
        "DAM_PUBLIC_BASE_URL is not set: webhook payloads carry URLs derived from "
        f"DAM_ALLOWED_HOSTS ({public_base_url()}).",
        hint="Set DAM_PUBLIC_BASE_URL to the URL the consuming app reaches dam at, e.g. https://dam.example.com.",
        id="dam.W001",
    )]  # fmt: skip
