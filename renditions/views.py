"""Delivery: request → status code, headers, body. Nothing else lives here.

``GET /r/<asset>/<name>/<key>[.ext]``          a named spec
``GET /r/<asset>/<token>/<spec>/<key>[.ext]``  an ad-hoc spec, signed (see renditions/signing.py)

Hit: one query, then a redirect to storage/CDN or the streamed bytes. Miss: resolve, then
``services.get_or_generate``. Stale key: 302 to the current URL. Domain errors → their status
with a short plain-text body and ``Cache-Control: no-store``, translated here and only here.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.views.static import serve

from assets.exceptions import AssetNotFound
from assets.models import Asset
from dam.errors import DamError
from dam.memo import SettingsMemo
from dam.storage import renditions_storage
from renditions import services, signing
from renditions.exceptions import InvalidSpec, Overloaded, UnknownSpec
from renditions.models import NAME_PATTERN, Rendition, spec_limits
from renditions.specs import Spec

logger = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
STALE_REDIRECT = "public, max-age=60"  # a stale URL's target may move again (focal point edits)
PRESIGNED_REDIRECT = "private, max-age=300"  # well inside a presigned URL's lifetime
FILENAME = re.compile(r"(?P<key>[0-9a-f]{20})(?:\.(?P<ext>[a-z0-9]{2,5}))?")
NAME = re.compile(NAME_PATTERN)
DELIVERY_PREFIX = "/r/"  # every answer under it, errors included, is this module's (dam/error_pages.py)
SAFE_METHODS = ("GET", "HEAD")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}


def safe_methods_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """GET and HEAD; anything else is 405 in the delivery's own error format (not an empty body)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in SAFE_METHODS:
            response = error_response(DamError("Renditions are read with GET or HEAD.",
                                               code="method_not_allowed", status=405))  # fmt: skip
            response["Allow"] = ", ".join(SAFE_METHODS)
            return response
        return view(request, *args, **kwargs)

    return wrapper


@safe_methods_only
def named_rendition(request: HttpRequest, asset_id: uuid.UUID, name: str, filename: str) -> HttpResponseBase:
    started = time.perf_counter()
    try:
        _parse_filename(filename)
        if not NAME.fullmatch(name):  # before any query: PostgreSQL refuses a NUL in a string
            raise UnknownSpec("There is no rendition by that name.")
        found = services.lookup(asset_id, filename, name=name, lock=True)
        served, found = _hit(
            request, found, lambda: services.lookup(asset_id, filename, name=name, lock=True)
        )
        if served:
            return served
        try:
            asset, named = _asset(found), found.named
            if named is None:
                raise UnknownSpec(f"There is no rendition named “{name}”.")
            current = services.named_url(asset, named)
            if not current.endswith(f"/{filename}"):
                return _redirect(current, STALE_REDIRECT)
            target = services.Target.build(
                asset, named.spec, accept=request.headers.get("Accept", ""), named=named
            )
            row = services.get_or_generate(target, held=found.held)
        finally:
            services.release_unused(found)
        vary = services.parsed(named).is_auto_format
        response = _serve(request, services.Stored.of(row), vary_accept=vary) or _again(request)
        return _timed(response, row, started)
    except DamError as exc:
        return error_response(exc)


@safe_methods_only
def adhoc_rendition(
    request: HttpRequest, asset_id: uuid.UUID, token: str, spec: str, filename: str
) -> HttpResponseBase:
    started = time.perf_counter()
    try:
        expires = signing.verify(settings.DAM_URL_SIGNING_KEYS, token, str(asset_id), spec, now=time.time())
        parsed = Spec.parse_canonical(spec, spec_limits())
        _parse_filename(filename)
        lock = not parsed.is_auto_format
        found = services.lookup(asset_id, filename, spec=spec, lock=lock)
        if lock:  # a format-auto URL's row depends on Accept: never served as a hit
            again = lambda: services.lookup(asset_id, filename, spec=spec, lock=lock)  # noqa: E731
            served, found = _hit(request, found, again, expires=expires)
            if served:
                return served
        try:
            asset = _asset(found)
            current = services.adhoc_url(asset, parsed, expires=expires)
            if not current.endswith(f"/{filename}"):
                return _redirect(current, STALE_REDIRECT)
            target = services.Target.build(asset, spec, accept=request.headers.get("Accept", ""))
            row = services.get_or_generate(target, held=found.held)
        finally:
            services.release_unused(found)
        served = _serve(request, services.Stored.of(row), vary_accept=parsed.is_auto_format, expires=expires)
        return _timed(served or _again(request), row, started)
    except DamError as exc:
        return error_response(exc)


def _hit(
    request: HttpRequest,
    found: services.Lookup,
    again: Callable[[], services.Lookup],
    *,
    expires: int | None = None,
) -> tuple[HttpResponseBase | None, services.Lookup]:
    """The hit served; or, when streaming found its file gone (and forgot it), the database's
    answer now (``again``): served if it is still a hit, else handed back for the miss path."""
    if found.hit is None:
        return None, found
    if served := _serve(request, found.hit, vary_accept=False, expires=expires):
        return served, found
    found = again()
    if found.hit is None:
        return None, found
    return _serve(request, found.hit, vary_accept=False, expires=expires) or _again(request), found


def _timed(response: HttpResponseBase, row: Rendition, started: float) -> HttpResponseBase:
    """A miss answers with ``Server-Timing``: the whole view and, when this request rendered, its
    phases (fetch the original, render = decode/resize/encode, store the file, record the row).
    ``app`` minus ``render`` is what a cold request costs outside the render (``make bench``)."""
    parts = [f"app;dur={(time.perf_counter() - started) * 1000:.2f}"]
    for phase, seconds in getattr(row, "timings", {}).items():
        parts.append(f"{phase};dur={seconds * 1000:.2f}")
    response["Server-Timing"] = ", ".join(parts)
    return response


def _parse_filename(filename: str) -> str:
    match = FILENAME.fullmatch(filename)
    if not match:
        raise InvalidSpec("The rendition file name is malformed.")
    return match["key"]


def _asset(found: services.Lookup) -> Asset:
    asset = found.asset
    if asset is None:
        raise AssetNotFound("There is no such asset.")
    return asset


def _serve(
    request: HttpRequest, rendition: services.Stored, *, vary_accept: bool, expires: int | None = None
) -> HttpResponseBase | None:
    """``expires``: the signed URL's expiry, if it has one; no cache keeps the answer past it.
    None: streaming found the file gone (``_stream``); the caller asks the database again."""
    etag = f'"{rendition.key}"'
    # META, not ``request.headers``: that builds a dict of every header, on the hottest path.
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH", "")
    left = None if expires is None else max(0, expires - int(time.time()))
    if etag in if_none_match or if_none_match == "*":
        response: HttpResponseBase = HttpResponse(status=304)
    elif settings.DAM_DELIVERY == "redirect":
        if settings.DAM_RENDITIONS_PUBLIC:
            return _redirect(PublicUrls.of(rendition.storage_name), _lasting(IMMUTABLE, left), vary_accept)
        storage = renditions_storage()
        if left is None:
            url = storage.url(rendition.storage_name)  # presigned: a new one each time
        else:  # presigned for no longer than the signed URL lives
            lifetime = min(left, storage.querystring_expire)  # type: ignore[attr-defined]
            url = storage.url(rendition.storage_name, expire=lifetime)  # type: ignore[call-arg]
        return _redirect(url, _lasting(PRESIGNED_REDIRECT, left), vary_accept)
    elif request.method == "HEAD":
        response = HttpResponse(content_type=rendition.content_type)
        response["Content-Length"] = str(rendition.byte_size)
    else:
        streamed = _stream(rendition)
        if streamed is None:
            return None
        response = streamed
    response["ETag"] = etag
    response["Cache-Control"] = _lasting(IMMUTABLE, left)
    _finish(response, vary_accept)
    return response


def _lasting(cache_control: str, left: int | None) -> str:
    """``cache_control``, or for a URL that expires in ``left`` seconds, a lifetime no longer than
    that and without ``immutable``: a browser, nginx or a CDN must ask again once it has expired
    (and then hears 403 ``bad_signature``)."""
    if left is None:
        return cache_control
    scope, _, age = cache_control.partition(", max-age=")
    return f"{scope}, max-age={min(left, int(age.split(',')[0]))}"


def _stream(rendition: services.Stored) -> FileResponse | None:
    """The file's bytes; None when storage has no such file (then nothing remembers it)."""
    try:
        handle = renditions_storage().open(rendition.storage_name, "rb")
    except FileNotFoundError:
        services.HitCache.forget(rendition.storage_name)
        # A row that still names it: storage lost the file (the row goes, the miss path makes it
        # again). No row: a replaced original's rendition this process remembered; nothing lost.
        lost = list(Rendition.objects.filter(storage_name=rendition.storage_name))
        if lost:
            logger.warning("rendition %s missing from storage; regenerating", rendition.storage_name)
        for row in lost:
            row.delete()
        return None
    response = FileResponse(handle, content_type=rendition.content_type)
    response["Content-Length"] = str(rendition.byte_size)
    return response


def _again(request: HttpRequest) -> HttpResponse:
    """The same URL once more, uncached: its file went while this request was answering it."""
    return _redirect(request.get_full_path(), "no-store")


class PublicUrls(SettingsMemo):
    """Storage name → public URL, per process: a name is never reused for other bytes, so its URL
    never changes while the storage settings do not (``storage.url`` was a fifth of a warm hit)."""

    @classmethod
    def of(cls, storage_name: str) -> str:
        # The hit first, without a call: this runs on every warm hit.
        return cls._values.get(storage_name) or cls.remembered(storage_name, _public_url, storage_name)


def _public_url(storage_name: str) -> str:
    return renditions_storage().url(storage_name)


class _Found(HttpResponseRedirect):
    """A 302 to a URL this module built (storage, ``services``, ``get_full_path``): already a URI
    with an http(s) scheme, so HttpResponseRedirect's re-quoting and scheme check are skipped."""

    def __init__(self, url: str) -> None:
        HttpResponse.__init__(self)
        self["Location"] = url


def _redirect(url: str, cache_control: str, vary_accept: bool = False) -> HttpResponse:
    response = _Found(url)
    response["Cache-Control"] = cache_control
    _finish(response, vary_accept)
    return response


def _finish(response: HttpResponseBase, vary_accept: bool) -> None:
    for header, value in SECURITY_HEADERS.items():
        response[header] = value
    if vary_accept:
        response["Vary"] = "Accept"


def error_response(exc: DamError) -> HttpResponse:
    response = HttpResponse(
        f"{exc.code}: {exc.message}\n", status=exc.status, content_type="text/plain; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    response["X-Error-Code"] = exc.code
    if isinstance(exc, Overloaded):
        response["Retry-After"] = str(exc.retry_after)
    _finish(response, vary_accept=False)
    return response


def local_rendition_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """Redirect mode on local storage: the file behind the redirect (names are immutable). In
    proxy mode nothing links here, and a signed URL's file is not reachable past its expiry."""
    if settings.DAM_DELIVERY != "redirect":
        raise Http404("Renditions are served under /r/.")
    response = serve(request, path, document_root=renditions_storage().location)  # type: ignore[attr-defined]
    response["Cache-Control"] = IMMUTABLE
    _finish(response, vary_accept=False)
    return response
