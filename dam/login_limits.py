"""Admin login rate limiting (django-axes), and the client address it counts failures by."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


class RateLimitedLoginBackend(AxesStandaloneBackend):
    """django-axes' backend, except for calls without a request.

    ``authenticate()`` without a request comes from code on this machine (scripts, the test
    client's ``login()``), never from a remote client, so there is nobody to lock out; axes
    itself would raise instead.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:  # fmt: skip
        if request is None:
            return None
        super().authenticate(request, username, password, **kwargs)
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client, as the trusted proxies in front of dam saw it.

    Each of ``DAM_TRUSTED_PROXIES`` proxies appends the address it was reached from to
    ``X-Forwarded-For``; counting that many entries from the right skips whatever the client
    wrote there itself (spoofed entries are on the left).
    """
    peer = str(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.DAM_TRUSTED_PROXIES
    if trusted <= 0:
        return peer
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    return hops[-trusted] if len(hops) >= trusted else peer
