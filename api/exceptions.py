"""The API's own domain errors (translated once, by dam.api.problem_exception_handler)."""

from __future__ import annotations

from dam.errors import DamError


class IdempotencyConflict(DamError):
    """The key was first used for another request (another body, another endpoint)."""

    code = "idempotency_conflict"
    status = 409


class IdempotencyInProgress(DamError):
    """The first request with this key is still running: retry shortly and get its answer."""

    code = "idempotency_in_progress"
    status = 409

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
