"""The hot paths' prepared statements (dam/prepared.py), on the real PostgreSQL: planned once per
connection, counted as one query each call, and prepared again on a new connection or after the
session forgot them."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dam.prepared import execute_prepared

pytestmark = pytest.mark.django_db(transaction=True)
SQL = "SELECT CAST(%s AS integer) + CAST(%s AS integer)"


def _run(a: int, b: int) -> int:
    with connection.cursor() as cursor:
        execute_prepared(cursor, SQL, [a, b])
        return int(cursor.fetchone()[0])


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'dam_%%'")
        return [row[0] for row in cursor.fetchall()]


def test_elsewhere_the_statement_simply_runs() -> None:
    assert _run(40, 2) == 42


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_a_statement_is_prepared_once_per_connection_and_counted_once_per_call() -> None:
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert [_run(n, 1) for n in range(3)] == [1, 2, 3]
    assert len(queries) == 3  # the PREPARE is not one of the caller's queries
    assert all(q["sql"].startswith("EXECUTE dam_") for q in queries.captured_queries)
    assert _prepared() == ["PREPARE dam_" + queries.captured_queries[0]["sql"].split()[1].split("(")[0][4:]
                           + " AS SELECT CAST($1 AS integer) + CAST($2 AS integer)"]  # fmt: skip
    connection.close()  # a new session has no prepared statements: prepared again
    assert _run(1, 1) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_a_statement_the_session_forgot_is_prepared_again() -> None:
    assert _run(1, 2) == 3
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert _run(2, 2) == 4
    with transaction.atomic():  # and one prepared inside a transaction outlives its rollback
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        connection.prepared_statements.clear()  # type: ignore[attr-defined]
        assert _run(3, 3) == 6
        transaction.set_rollback(True)
    assert _run(4, 4) == 8
    assert len(_prepared()) == 1
