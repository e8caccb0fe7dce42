"""A changelist paginator that never counts a large table row by row.

Django's admin runs ``SELECT COUNT(*)`` on every page; on PostgreSQL that reads the whole table
(MVCC has no stored row count), tens of milliseconds at 100,000 assets and growing with it. Here:

* small results are counted exactly, but never past ``EXACT_COUNT_LIMIT`` rows
  (``FILTERED_EXACT_LIMIT`` for a search or a filter; ``COUNT(*)`` over a ``LIMIT`` subquery
  stops early);
* past it, an unfiltered list uses PostgreSQL's own statistics (``pg_class.reltuples``, kept by
  autovacuum/ANALYZE) and a filtered one the planner's row estimate (``EXPLAIN``), and the page
  says "about N"; a filtered list the planner expects to be far past it (a common search word) is
  not counted at all.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

from assets.search import planner_rows

# Counting this many index entries costs a few milliseconds; beyond it an estimate is good enough
# to say how many pages there are (editors search or filter rather than page to 400).
EXACT_COUNT_LIMIT = 10_000
# A filtered list (a search, a filter) is counted exactly up to fewer rows: its matches are read
# through the filter (a search reads each match's document), 10,000 of them cost ~80 ms.
FILTERED_EXACT_LIMIT = 2_000
CERTAINLY_LARGE = 2  # a filtered list the planner expects to be this many times the limit is not counted


class EstimatedCountPaginator(Paginator):
    estimated = False  # True when ``count`` is an estimate ("about N")

    @cached_property
    def count(self) -> int:
        # Only the key: a ranked search's annotation (ts_rank per row) is no part of a count.
        queryset: QuerySet[Any] = self.object_list.order_by().values("pk")  # type: ignore[attr-defined]
        if queryset.query.is_empty():
            return 0  # a search with nothing to look for (only punctuation): no query at all
        if connections[queryset.db].vendor != "postgresql":
            return queryset.count()  # SQLite (the embedded default) holds small libraries
        if not queryset.query.where:
            statistics = _table_estimate(queryset)
            if statistics > EXACT_COUNT_LIMIT:
                self.estimated = True
                return statistics
        limit = FILTERED_EXACT_LIMIT if queryset.query.where else EXACT_COUNT_LIMIT
        if (planned := planner_rows(queryset)) > CERTAINLY_LARGE * limit:
            # Far past the limit by the planner's statistics (a common search word: 50,000
            # matches): counting up to the limit would read that many rows for an "about N" anyway.
            self.estimated = True
            return planned
        exact = queryset[: limit + 1].count()
        if exact <= limit:
            return exact
        self.estimated = True
        return max(planner_rows(queryset), exact)


def _table_estimate(queryset: QuerySet[Any]) -> int:
    """Rows in the table per PostgreSQL's statistics (-1 or 0 before its first ANALYZE)."""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row else -1
