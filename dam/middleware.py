"""The web edge for dependency outages: a view that meets one answers 503, never 500.

Domain errors are translated where they are raised (the delivery view, the API's exception
handler); this catches what no view can sensibly handle itself: the database restarting under a
query, the broker gone while a task is queued, storage timing out. Under ``/api/`` the answer is
problem+json with ``code: overloaded`` (docs/api.md, "Errors"); elsewhere the short plain text the
delivery view uses. Both carry ``Retry-After`` and ``Cache-Control: no-store``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from dam.unavailable import RETRY_AFTER_SECONDS, is_unavailable

logger = logging.getLogger(__name__)
DETAIL = "A service dam depends on is unavailable; try again shortly."


class DependencyUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unavailable(exception):
            return None  # a bug: Django's 500 handler answers and logs it
        logger.warning("503 for %s %s: %s: %s", request.method, request.path,
                       type(exception).__name__, str(exception)[:200])  # fmt: skip
        return unavailable_response(request)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        from dam.api import PROBLEM, problem

        response = JsonResponse(problem(503, "overloaded", DETAIL), status=503, content_type=PROBLEM)
    else:
        response = HttpResponse(
            f"overloaded: {DETAIL}\n", status=503, content_type="text/plain; charset=utf-8"
        )
        response["X-Error-Code"] = "overloaded"
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
