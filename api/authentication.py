"""``Authorization: Api-Key <key>`` for machine clients; staff sessions for the browsable API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from assets.models import ApiKey

KEYWORD = "Api-Key"
LAST_USED_RESOLUTION = timedelta(minutes=5)  # write last_used_at at most this often per key


class ApiKeyClient:
    """``request.user`` for a key: authenticated, never staff, read-only if the key is."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.pk = self.id = f"key:{key.pk}"
        self.read_only = key.read_only

    def __str__(self) -> str:
        return str(self.key)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyClient, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, raw = header.partition(" ")
        if scheme != KEYWORD:
            return None
        key = ApiKey.objects.filter(hashed_key=ApiKey.digest(raw.strip())).first()
        if key is None or not key.is_active:
            raise exceptions.AuthenticationFailed("The API key is unknown or revoked.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return ApiKeyClient(key), key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD  # makes DRF answer 401 (not 403) when credentials are missing


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """Editors logged in to the admin can use the API (with CSRF, as Django does); what they may
    do is what their model permissions allow (permissions.ApiAccess)."""

    def authenticate(self, request: Request) -> Any:
        user = getattr(request._request, "user", None)
        if not (user and user.is_active and user.is_staff):
            return None  # decided before the CSRF check, which may read the body
        self.enforce_csrf(request)
        return (user, None)

    def enforce_csrf(self, request: Request) -> None:
        if settings.CSRF_HEADER_NAME in request.META:
            request = _FormlessRequest(request)  # type: ignore[assignment]
        super().enforce_csrf(request)


class _FormlessRequest:
    """The request as the CSRF check sees it when the token travels in the ``X-CSRFToken``
    header: without its form. Django's check looks in ``request.POST`` first, which parses the
    whole multipart body before the credentials are known; with the header it need not. (A form
    with the token inside, as the browsable API posts, is still read: under the body cap.)"""

    def __init__(self, request: Request) -> None:
        self.__dict__["_request"] = request

    @property
    def POST(self) -> QueryDict:
        return QueryDict()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)
