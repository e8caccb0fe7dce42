"""Admin pages that show a secret once (a new API key, a webhook signing secret).

The secret is in the response body only: never in a cookie (Django's default message storage
is a cookie), never in the session, never in a URL, and the page is never cached.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

TEMPLATE = "admin/assets/shown_once.html"


def shown_once(
    request: HttpRequest,
    model_admin: admin.ModelAdmin[Any],
    *,
    title: str,
    heading: str,
    secrets: list[tuple[str, str]],
    continue_url: str,
    note: str = "",
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "heading": heading,
        "secrets": secrets,
        "continue_url": continue_url,
        "note": note,
    }
    response = TemplateResponse(request, TEMPLATE, context)
    add_never_cache_headers(response)
    return response
