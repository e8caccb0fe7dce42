"""Django's PostgreSQL backend, with a health check that costs no round trip when it need not.

``CONN_HEALTH_CHECKS`` makes Django check a persistent connection before the first query of each
request, and the stock check is a ``SELECT 1``: a whole round trip on every request that touches
the database, as much as a warm rendition hit's own query. A connection the server has ended
(a restart, ``pg_terminate_backend``, an idle timeout, the server process killed) is not silent:
the server sends its last message (``FATAL: terminating connection …``) or the kernel closes the
socket, and either makes the idle socket readable. So an idle connection whose socket has nothing
to read, no error and no hang-up is healthy, and is taken without asking; anything else, or a
connection not idle, gets the stock ``SELECT 1``. What neither check can see (a network path
dropped without a word) the ``SELECT 1`` would only have hung on.
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

__all__ = ["DatabaseWrapper", "idle_and_quiet"]

_TROUBLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


def idle_and_quiet(connection: object) -> bool:
    """Whether a psycopg connection is open, outside any transaction, and its socket has nothing
    waiting: nothing the server could have said since the last answer was read."""
    try:
        if getattr(connection, "closed", True) or getattr(connection, "broken", False):
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:  # type: ignore[attr-defined]
            return False
        poller = select.poll()
        poller.register(connection.fileno(), _TROUBLE)  # type: ignore[attr-defined]
        return not poller.poll(0)
    except Exception:  # anything odd about the connection: the stock check decides
        return False


class DatabaseWrapper(base.DatabaseWrapper):
    prepared_statements: set[str]  # the names this connection has prepared (dam/prepared.py)

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        self.prepared_statements = set()  # a new session has none
        return connection

    def close_if_health_check_failed(self) -> None:
        this: Any = self  # django-stubs declares neither the pool nor the health check's flags
        if (
            not this.pool
            and this.connection is not None
            and this.health_check_enabled
            and not this.health_check_done
            and idle_and_quiet(this.connection)
        ):
            this.health_check_done = True
            return
        super().close_if_health_check_failed()
