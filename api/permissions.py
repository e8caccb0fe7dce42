"""Who may do what through the API.

* API keys: any key reads; only a read-write key writes (signing URLs and uploads are writes).
* Staff sessions: the Django model permissions the admin would ask for the same thing. Each view
  names them per action in ``action_permissions`` (view for reads; add, change or delete for
  writes); an action it does not name is refused, so a new action cannot slip through open.
"""

from __future__ import annotations

import contextlib
import math
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
    """One budget per API key (or staff user), DAM_API_THROTTLE_RATE, shared by every web node.

    DRF's own throttle reads the request history, appends and writes it back: two nodes (or two
    threads) answering at once both read the same history, and each lets its request through.
    This one counts with the cache's atomic ``add`` + ``incr`` instead (Redis INCR in production),
    as a sliding-window counter: the current fixed window's count plus the previous window's count
    weighted by how much of it still overlaps the sliding window (the approximation rate limiters
    such as Cloudflare's and nginx's use). A request refused gives its count back, so a client that
    honours Retry-After is not kept out by its own refused retries. When the cache is unreachable
    (django-redis ignores the error and answers None) throttling pauses rather than failing requests.
    """

    scope = "client"
    num_requests: int  # set by SimpleRateThrottle from the rate ("1200/min": 1200 and 60)
    duration: int
    _wait: float | None = None

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        current_key = f"{key}:{window}"
        self.cache.add(current_key, 0, self.duration * 2)
        try:
            count = self.cache.incr(current_key)
        except ValueError:  # the key expired between add and incr
            self.cache.set(current_key, 1, self.duration * 2)
            count = 1
        if count is None:  # the cache is down: fail open
            return True
        previous = int(self.cache.get(f"{key}:{window - 1}") or 0)
        elapsed = (now % self.duration) / self.duration
        spent = previous * (1 - elapsed) + count
        if spent <= self.num_requests:
            # What the answer tells the client (``RateLimit-*`` headers, ApiViewSet): the budget,
            # what is left of it now, and the seconds until this window's count starts to fade.
            left = int(self.num_requests - spent)
            reset = math.ceil(self.duration * (1 - elapsed))
            request.rate_limit = (self.num_requests, left, reset, self.duration)  # type: ignore[attr-defined]
            return True
        with contextlib.suppress(ValueError):
            self.cache.decr(current_key)
        self._wait = self._seconds_until_allowed(count - 1, previous, elapsed)
        request.rate_limit = (self.num_requests, 0, math.ceil(self._wait), self.duration)  # type: ignore[attr-defined]
        return False

    def _seconds_until_allowed(self, count: int, previous: int, elapsed: float) -> float:
        """How long until one more request fits, if nobody else spends the budget meanwhile."""
        room = self.num_requests - 1 - count  # what the previous window's weight must fall to
        if room < 0 or previous == 0:
            return self.duration * (1 - elapsed)  # wait for the next window
        fraction = 1 - room / previous  # the elapsed share at which previous * (1 - share) <= room
        return max(self.duration * (fraction - elapsed), 1.0)

    def wait(self) -> float | None:
        return self._wait
