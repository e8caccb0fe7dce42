"""Failures of a dependency (database, broker, cache, storage) that go away when it comes back.

A request that meets one answers ``503`` with ``Retry-After`` (``overloaded``), never ``500``: the
client did nothing wrong and retrying shortly succeeds. Tasks retry with backoff instead of failing
the asset. One list, used by the web edge (:mod:`dam.middleware`) and by the tasks.
"""

from __future__ import annotations

import psycopg
from botocore.exceptions import BotoCoreError, ClientError
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

RETRY_AFTER_SECONDS = 2  # a restarted database or broker is usually back within seconds

# S3 error codes that mean "not now" rather than "never" (botocore's own retryable set).
STORAGE_BUSY_CODES = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout",
                                "RequestTimeTooSkewed", "Throttling", "ThrottlingException"})  # fmt: skip


# The driver's own errors: Django wraps most of them, but not all (closing a server-side cursor on
# a connection the server dropped raises psycopg's OperationalError unwrapped).
DRIVER_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError)


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says a dependency is down or overloaded, not that the code or input is wrong."""
    if isinstance(exc, OperationalError | InterfaceError | BrokerError | RedisConnectionError):
        return True
    if isinstance(exc, DRIVER_ERRORS):
        return True
    if isinstance(exc, RedisTimeoutError | BotoCoreError):
        return True  # endpoint unreachable, connection reset, read timeout
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in STORAGE_BUSY_CODES or int(status or 0) >= 500
    return False
