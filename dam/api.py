"""API defaults: RFC 9457 problem+json for every error under /api/, and the list pagination.

Every error body is ``{"type", "title", "status", "detail", "code"}`` plus ``errors`` for
field-level detail; ``code`` is the stable one the Ruby app switches on (docs/api.md, "Errors").
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from dam.errors import DamError

PROBLEM = "application/problem+json"
BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")

# DRF exception → our stable code (docs/api.md, "Errors").
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
    elif isinstance(exc, DjangoValidationError):  # a model's own validation: still the client's input
        exc = exceptions.ValidationError(as_serializer_error(exc))
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


# Field errors raised with one of these stable codes surface as the problem's code when every
# problem in the request has it, so clients need not dig into ``errors`` for the common case.
# Django's and DRF's own validation codes (``invalid_choice``, ``null_characters_not_allowed``,
# ``min_length``…) and any mix of problems are ``invalid``: those codes are not part of the API.
FIELD_CODES = frozenset({"invalid_spec", "unsupported_format", "invalid_external_id", "invalid_rights"})


def _validation_code(detail: Any) -> str | None:
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
    return flat[0] if len(set(flat)) == 1 and flat[0] in FIELD_CODES else None


def _finish(response: Response) -> Response:
    response.content_type = PROBLEM
    response["Cache-Control"] = "no-store"
    return response


API_PREFIX = "/api/"


def error(status_code: int, code: str, detail: str) -> JsonResponse:
    """A problem+json answer made outside DRF (Django's own error handlers; see dam/error_pages.py),
    written as DRF writes its own (compact)."""
    response = JsonResponse(problem(status_code, code, detail), status=status_code, content_type=PROBLEM,
                            json_dumps_params={"separators": (",", ":")})  # fmt: skip
    response["Cache-Control"] = "no-store"
    return response


def not_found(request: HttpRequest) -> JsonResponse:
    """Django's 404 under /api/ (a URL no view matched); see dam/error_pages.py."""
    return error(404, "not_found", "Nothing here: no such endpoint, or an id of the wrong form "
                 "(an asset's id is a UUID).")  # fmt: skip


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's 500 under /api/ (a bug); see dam/error_pages.py."""
    return error(500, "error", "An unexpected error occurred.")


class NewestFirstCursorPagination(CursorPagination):
    """Stable under inserts (no skipped or repeated rows while the Rails app pages through).

    ``page_size`` is validated (1..max) by the list's FilterSet before this reads it; a cursor
    that was not made here is ``400 invalid``, never a 404 or a query on a garbage position."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "Invalid cursor: follow `next` and `previous` as given."

    def decode_cursor(self, request: Any) -> Cursor | None:
        try:
            encoded = request.query_params.get(self.cursor_query_param)
            if encoded is not None and not BASE64.fullmatch(encoded):
                raise ValueError(encoded)  # b64decode would skip the stray bytes and read a first page
            cursor = super().decode_cursor(request)
            if (
                cursor is not None
                and cursor.position is not None
                and not self.valid_position(cursor.position)
            ):
                raise ValueError(cursor.position)
        except (exceptions.NotFound, ValueError) as exc:
            raise exceptions.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from exc
        return cursor

    def valid_position(self, position: object) -> bool:
        """Whether a cursor's position is a value of the first ordering field (a date-time here)."""
        return parse_datetime(str(position)) is not None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        # page_size is documented (and validated) by the FilterSet with the other parameters.
        params = super().get_schema_operation_parameters(view)
        return [p for p in params if p["name"] != self.page_size_query_param]
