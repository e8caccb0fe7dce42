"""The library's search: one implementation behind the API's ``q`` and the admin's search box.

What a search means (docs/api.md, "Searching"):

* the input is cut into **words**: runs of letters and digits in any script (``DSC_0042.jpg`` is
  ``dsc 0042 jpg``); everything else (quotes, ``&|!():*``, punctuation) only separates words, so
  no input is ever query syntax;
* **every word must match** a word of the title, tags, alt text, caption, credit or file name,
  case-insensitively; the **last word matches as a prefix** (``harb`` finds *harbour* as you type);
* or the whole input, when it is one token of 3 characters or more, is a **fragment of the file
  name** (``0042`` and ``042`` find ``DSC_0042.jpg``);
* results are **ranked**: a title match before a tag or alt-text match, before a caption or credit
  match, before a file-name match; ties newest first. A search matching more than
  ``RANK_LIMIT`` assets lists them newest first instead (ranking 50,000 rows costs more than the
  page is worth; the first words an editor types are the common ones).

On PostgreSQL the words are a ``to_tsquery('simple', …)`` built here from the words alone, matched
against ``Asset.search_document`` (a GIN-indexed ``tsvector`` that triggers keep current: assets
migration full_text_search) and ranked by ``ts_rank``; the fragment uses the trigram index on the
file name. The ``simple`` configuration lower-cases and does not stem: a multilingual newsroom
finds the word it typed, in every language, and no English stemmer turns *news* into *new*.

On SQLite (the embedded default) the same words are matched by regular expression at word
starts, with the same field weights: the same results for simple words, unindexed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast

from assets.models import Asset

RANK = "search_rank"  # the annotation that orders a ranked search (highest first)
CONFIG = "simple"
# Ranking this many matches (ts_rank over each one's document, then a top-N sort) costs ~5 ms at
# 100,000 assets. Past it a search lists newest first by walking the newest-first index until a
# page of matches is found: 48 × assets / matches rows, each tested. Just past a limit of 1,000
# that walk read ~4,800 rows (4-7 ms, slower than ranking the 1,000); past 2,000 it reads at most
# ~2,400 (`make bench`, bench/search.py).
RANK_LIMIT = 2_000
MIN_FRAGMENT = 3  # a trigram index cannot narrow a shorter fragment
MAX_WORDS = 32
MAX_WORD = 255  # characters; a longer "word" is no word an editor typed

WORD = re.compile(r"[^\W_]+")  # letters and digits of any script; "_" separates, as in file names
# The same fields and weights as the PostgreSQL document, best first (ts_rank's default weights).
WEIGHTS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("title",), 1.0),
    (("tags", "alt_text"), 0.4),
    (("caption", "credit"), 0.2),
    (("original_filename",), 0.1),
)


@dataclass(frozen=True)
class Terms:
    words: tuple[str, ...]
    fragment: str | None

    def __bool__(self) -> bool:
        return bool(self.words or self.fragment)

    def tsquery(self) -> str:
        """``'harbour' & 'boa':*``: each word is letters and digits only, quoted as a lexeme, so
        nothing the user typed is read as an operator."""
        *head, last = self.words
        return " & ".join([*(f"'{word}'" for word in head), f"'{last}':*"])


def parse(term: str) -> Terms:
    text = term.replace("\x00", " ")
    words = tuple(word.lower() for word in WORD.findall(text) if len(word) <= MAX_WORD)[:MAX_WORDS]
    token = text.strip()
    fragment = (
        token if MIN_FRAGMENT <= len(token) <= MAX_WORD and not any(c.isspace() for c in token) else None
    )
    return Terms(words, fragment)


def search(queryset: QuerySet[Asset], term: str) -> QuerySet[Asset]:
    """The assets of ``queryset`` that match ``term``; annotated with ``search_rank`` when they are
    to be listed by rank (see ``ordering``)."""
    if not term.strip():
        return queryset  # an empty search box lists everything
    terms = parse(term)
    if not terms:
        return queryset.none()  # only punctuation: nothing to look for
    if connections[queryset.db].vendor == "postgresql":
        return _postgres(queryset, terms)
    return _fallback(queryset, terms)


def ordering(queryset: QuerySet[Any]) -> tuple[str, ...] | None:
    """Rank first, then newest first, for a ranked search; None for anything else."""
    if RANK in queryset.query.annotations:
        return (f"-{RANK}", "-created_at", "-id")
    return None


def _postgres(queryset: QuerySet[Asset], terms: Terms) -> QuerySet[Asset]:
    matches = Q()
    query = None
    if terms.words:
        query = SearchQuery(terms.tsquery(), search_type="raw", config=CONFIG)
        matches = Q(search_document=query)
    if terms.fragment:
        # icontains is UPPER(original_filename) LIKE UPPER('%…%'): the trigram index's expression
        matches |= Q(original_filename__icontains=terms.fragment)
    found = queryset.filter(matches)
    if query is None or _too_many(found):
        return found
    # float8: ts_rank's float4 comes back to Python rounded to its text form, and a cursor holding
    # that rounded rank would repeat the rows tied at it on the next page
    return found.annotate(**{RANK: Cast(SearchRank(F("search_document"), query), FloatField())})


def _too_many(found: QuerySet[Asset]) -> bool:
    """Whether more than RANK_LIMIT assets match. On PostgreSQL, the planner's estimate (EXPLAIN,
    no row read: its statistics on the documents' words are good for words common enough to
    matter); counting the matches up to the limit would read that many rows on every page
    (12 ms for 2,000 at 100,000 assets). On SQLite, that count. Only the keys, as the library's
    paginator asks: within ``shared_estimates`` the two are one EXPLAIN."""
    keys = found.order_by().values("pk")
    if connections[found.db].vendor == "postgresql":
        return planner_rows(keys) > RANK_LIMIT
    return keys[: RANK_LIMIT + 1].count() > RANK_LIMIT


# The estimates planned so far in a ``shared_estimates`` block, by query; None outside one.
_estimates: ContextVar[dict[tuple[str, str, str], int] | None] = ContextVar("planner_estimates", default=None)


@contextmanager
def shared_estimates() -> Iterator[None]:
    """Within it, ``planner_rows`` plans each query once: the library page asks for the same
    search's estimate twice (whether to rank it, then how to count it). Only around one request's
    work: the statistics change with every ANALYZE, and a table with them."""
    token = _estimates.set({})
    try:
        yield
    finally:
        _estimates.reset(token)


def planner_rows(queryset: QuerySet[Any]) -> int:
    """The rows PostgreSQL's planner expects ``queryset`` to return (nothing is executed)."""
    sql, params = queryset.query.sql_with_params()
    known = _estimates.get()
    key = (queryset.db, sql, repr(params))
    if known is not None and key in known:
        return known[key]
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    rows = int(plan[0]["Plan"]["Plan Rows"])
    if known is not None:
        known[key] = rows
    return rows


def _fallback(queryset: QuerySet[Asset], terms: Terms) -> QuerySet[Asset]:
    """SQLite: each word at a word start (the last one as a prefix) in a weighted field."""
    every_word = Q()
    rank: Any = Value(0.0)
    for index, word in enumerate(terms.words):
        pattern = r"(?<![^\W_])" + re.escape(word) + ("" if index == len(terms.words) - 1 else r"(?![^\W_])")
        best = Case(
            *(When(_any_field(fields, pattern), then=Value(weight)) for fields, weight in WEIGHTS),
            default=Value(0.0), output_field=FloatField(),
        )  # fmt: skip
        every_word &= _any_field(tuple(f for fields, _ in WEIGHTS for f in fields), pattern)
        rank = CombinedExpression(rank, "+", best, output_field=FloatField())
    matches = every_word if terms.words else Q(pk__in=[])
    if terms.fragment:
        matches |= Q(original_filename__icontains=terms.fragment)
    found = queryset.filter(matches)
    if not terms.words or _too_many(found):
        return found
    return found.annotate(**{RANK: rank})


def _any_field(fields: tuple[str, ...], pattern: str) -> Q:
    found = Q()
    for field in fields:
        if field == "tags":  # a subquery, not a join: no duplicate rows, no DISTINCT
            tagged = Asset.tags.through.objects.filter(tag__name__iregex=pattern).values("asset_id")
            found |= Q(id__in=tagged)
        else:
            found |= Q(**{f"{field}__iregex": pattern})
    return found
