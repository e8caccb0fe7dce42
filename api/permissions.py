"""Who may do what through the API.

* API keys: any key reads; only a read-write key writes (signing URLs and uploads are writes).
* Staff sessions: the Django model permissions the admin would ask for the same thing. Each view
  names them per action in ``action_permissions`` (view for reads; add, change or delete for
  writes); an action it does not name is refused, so a new action cannot slip through open.
"""

from __future__ import annotations

from typing import Any

from rest_framework import permissions, throttling
from rest_framework.request import Request

from api.authentication import ApiKeyClient

READ_ONLY_KEY = "This API key is read-only."


class ApiAccess(permissions.BasePermission):
    message = READ_ONLY_KEY

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if isinstance(user, ApiKeyClient):
            self.message = READ_ONLY_KEY
            return request.method in permissions.SAFE_METHODS or not user.read_only
        needed = required_permissions(view)
        self.message = f"Your account lacks the permission {', '.join(needed) or 'for this action'}."
        return bool(needed) and user.has_perms(needed)


def required_permissions(view: Any) -> tuple[str, ...]:
    """The model permissions a staff user needs for the view's current action (none: refused)."""
    table: dict[str, tuple[str, ...]] = getattr(view, "action_permissions", {})
    return table.get(getattr(view, "action", None) or "", ())


class PerClientThrottle(throttling.SimpleRateThrottle):
    """One budget per API key (or staff user), DAM_API_THROTTLE_RATE."""

    scope = "client"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
