"""The PostgreSQL backend's health check (dam/postgres/base.py): a healthy idle connection is
taken without a statement; one the server has ended is replaced before the request's first query.
Both against the real server: the second ends the connection with ``pg_terminate_backend``."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),  # idle between "requests": no test transaction around them
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's own check"),
]


def _admin() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                           dbname=db["NAME"], autocommit=True)  # fmt: skip


def _new_request() -> None:
    """What Django does between two requests (request_started → close_old_connections)."""
    connection.close_if_unusable_or_obsolete()


def _pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_the_backend_is_dams() -> None:
    assert connection.settings_dict["ENGINE"] == "dam.postgres"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]


def test_a_healthy_idle_connection_is_taken_without_a_statement() -> None:
    pid = _pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    _new_request()
    assert not connection.health_check_done  # the next query is checked first
    connection.close_if_health_check_failed()
    assert connection.health_check_done
    with _admin() as admin:  # what the server last heard from this connection
        last = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert last == ("SELECT 'the last statement'",)  # the stock check would have sent SELECT 1
    assert _pid() == pid


def test_a_connection_the_server_ended_is_replaced_before_the_first_query() -> None:
    pid = _pid()
    with _admin() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the server did not end the connection"
            time.sleep(0.01)
    _new_request()
    assert _pid() != pid  # no OperationalError: the ended connection was noticed and replaced


def test_a_connection_inside_a_transaction_gets_the_stock_check() -> None:
    from dam.postgres.base import idle_and_quiet

    _pid()
    assert idle_and_quiet(connection.connection)
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert not idle_and_quiet(connection.connection)  # in a transaction: not idle
    finally:
        connection.rollback()
        connection.set_autocommit(True)
