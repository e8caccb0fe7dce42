"""Django's own 400, 403, 404 and 500 answers (a request Django refuses before any view runs, such
as a Host not in DAM_ALLOWED_HOSTS; a CSRF failure; URLs no view matched; bugs), per URL space: problem+json
under /api/, the delivery view's short plain text with ``no-store`` under /r/ (a CDN must never
keep an error, nor a client get an HTML page for an image), Django's pages elsewhere."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults

from dam import api
from dam.errors import DamError
from renditions.views import DELIVERY_PREFIX, error_response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(DELIVERY_PREFIX):
        return error_response(DamError("There is no such rendition.", code="not_found", status=404))
    if request.path.startswith(api.API_PREFIX):
        return api.not_found(request)
    return defaults.page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(DELIVERY_PREFIX):
        return error_response(DamError("The rendition could not be served.", code="error", status=500))
    if request.path.startswith(api.API_PREFIX):
        return api.server_error(request)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400: a request refused before any view ran (a Host not in ``DAM_ALLOWED_HOSTS``,
    another SuspiciousOperation). Its cause is logged by Django, never echoed to the client."""
    if request.path.startswith(DELIVERY_PREFIX):
        return error_response(DamError("The request was refused.", code="invalid", status=400))
    if request.path.startswith(api.API_PREFIX):
        return api.error(400, "invalid", "The request was refused.")
    return defaults.bad_request(request, exception or Exception())


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(DELIVERY_PREFIX):
        return error_response(DamError("Not allowed.", code="permission_denied", status=403))
    if request.path.startswith(api.API_PREFIX):
        return api.error(403, "permission_denied", "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception or Exception())
