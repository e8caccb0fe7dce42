"""Conditional GET for JSON reads: a weak ``ETag`` over the body, ``If-None-Match`` → 304.

The tag is a digest of the rendered JSON itself, so it changes whenever anything in it does: a
field, a tag, a rendition turning ready, a named spec added or edited, a URL built for another
host. Nothing is saved for the client but the transfer and its parse; the server still builds
the body (two queries for a whole page, no storage call) to know whether it changed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponseNotModified
from django.utils.cache import parse_etags  # type: ignore[attr-defined]  # public, not in the stubs
from rest_framework.request import Request
from rest_framework.response import Response

# Revalidate every time; only the client itself may keep a copy (the answer is per key).
REVALIDATE = "private, no-cache"
ETAG_HEX_DIGITS = 32  # 128 bits of SHA-256: no two bodies share a tag in practice
KEPT_ON_304 = ("ETag", "Cache-Control", "Vary")  # RFC 9110 §15.4.5: what a 200 would have sent


def body_etag(response: Response) -> str:
    digest = hashlib.sha256(response.content)
    digest.update(str(response.get("Content-Type", "")).encode())
    return f'W/"{digest.hexdigest()[:ETAG_HEX_DIGITS]}"'


def matches(etag: str, if_none_match: str) -> bool:
    """The weak comparison RFC 9110 asks for If-None-Match: opaque tags equal, W/ ignored."""
    wanted = parse_etags(if_none_match)
    return "*" in wanted or any(tag.removeprefix("W/") == etag.removeprefix("W/") for tag in wanted)


class ConditionalGetMixin:
    """Adds the ETag to 200 JSON answers of ``conditional_actions`` and answers 304 when the
    client already has that body. The browsable API (HTML, a fresh CSRF token each time) is left
    alone."""

    conditional_actions: tuple[str, ...] = ("list", "retrieve")

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if not self._conditional(request, response):
            return response
        response.render()
        response["ETag"] = body_etag(response)
        response["Cache-Control"] = REVALIDATE
        if not matches(response["ETag"], request.headers.get("If-None-Match", "")):
            return response
        not_modified = HttpResponseNotModified()
        for header in KEPT_ON_304:
            if header in response:
                not_modified[header] = response[header]
        return not_modified

    def _conditional(self, request: Request, response: Any) -> bool:
        return (
            request.method in ("GET", "HEAD")
            and getattr(self, "action", None) in self.conditional_actions
            and isinstance(response, Response)
            and response.status_code == 200
            and getattr(response, "accepted_media_type", "") == "application/json"
        )
