"""The base of every domain error: a stable ``code`` the Ruby app switches on (docs/api.md, "Errors").

Each app raises its own subclasses (``assets/exceptions.py``, ``renditions/exceptions.py``); the
edges (admin, API exception handler, delivery view, tasks) translate them once.
"""

from __future__ import annotations


class DamError(Exception):
    """A failure caused by input or circumstances, never a bug. ``str(err)`` is user-facing."""

    code: str = "error"
    status: int = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class Overloaded(DamError):
    """No capacity right now (render slots, storage or broker unreachable). Retry shortly."""

    code = "overloaded"
    status = 503

    def __init__(self, message: str, *, retry_after: int = 2):
        super().__init__(message)
        self.retry_after = retry_after
