"""``Authorization: Api-Key <key>`` for machine clients; staff sessions for the browsable API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
    """Editors logged in to the admin can use the browsable API (with CSRF, as Django does)."""

    def authenticate(self, request: Request) -> Any:
        result = super().authenticate(request)
        if result is None or not result[0].is_staff:
            return None
        return result
