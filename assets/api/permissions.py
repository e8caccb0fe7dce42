from __future__ import annotations

from typing import Any

from rest_framework import permissions, throttling
from rest_framework.request import Request


class ApiAccess(permissions.BasePermission):
    """Authenticated; read-only keys may only read."""

    message = "This API key is read-only."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or not getattr(user, "read_only", False)


class PerClientThrottle(throttling.SimpleRateThrottle):
    """One budget per API key (or staff user), DAM_API_THROTTLE_RATE."""

    scope = "client"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
