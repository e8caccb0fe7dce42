"""API defaults: RFC 9457 problem+json for every error under /api/, and the list pagination.

Every error body is ``{"type", "title", "status", "detail", "code"}`` plus ``errors`` for
field-level detail; ``code`` is the stable one from LIMITS.md the Ruby app switches on.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from dam.errors import DamError

PROBLEM = "application/problem+json"

# DRF exception → our stable code (LIMITS.md).
DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.Throttled: "throttled",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "invalid",
}


def problem(status_code: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    title = HTTPStatus(status_code).phrase
    return {
        "type": "about:blank",
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DamError):
        response = Response(problem(exc.status, exc.code, exc.message), status=exc.status)
        if retry_after := getattr(exc, "retry_after", None):
            response["Retry-After"] = str(retry_after)
        return _finish(response)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    handled = exception_handler(exc, context)
    if handled is None or not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler answers (JSON under /api/, see server_error)
    code = next((c for kind, c in DRF_CODES.items() if isinstance(exc, kind)), "error")
    if isinstance(exc, exceptions.ValidationError):
        body = problem(400, code, "The request is not valid; see errors.", errors=_errors(exc.detail))
        body["code"] = _validation_code(exc.detail) or code
    else:
        body = problem(handled.status_code, code, str(exc.detail))
    handled.data = body
    return _finish(handled)


def _errors(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {field: _errors(value) for field, value in detail.items()}
    if isinstance(detail, list):
        return [_errors(item) for item in detail]
    return str(detail)


def _validation_code(detail: Any) -> str | None:
    """A field error raised with one of our stable codes (e.g. ``invalid_spec``) surfaces as the
    problem's code, so clients need not dig into ``errors`` for the common case."""
    codes = exceptions.ValidationError(detail).get_codes()
    flat: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        else:
            flat.append(str(node))

    walk(codes)
    ours = [
        c for c in flat if "_" in c and c not in ("max_length", "min_value", "max_value", "does_not_exist")
    ]
    return ours[0] if ours else None


def _finish(response: Response) -> Response:
    response.content_type = PROBLEM
    response["Cache-Control"] = "no-store"
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 404 for URLs no view matched: problem+json under /api/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(problem(404, "not_found", "No such endpoint."), status=404, content_type=PROBLEM)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())  # type: ignore[return-value]


def server_error(request: HttpRequest) -> JsonResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            problem(500, "error", "An unexpected error occurred."), status=500, content_type=PROBLEM
        )
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)  # type: ignore[return-value]


class NewestFirstCursorPagination(CursorPagination):
    """Stable under inserts (no skipped or repeated rows while the Rails app pages through)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
