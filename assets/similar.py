"""Near-duplicates: assets whose perceptual hash (64-bit dHash) is within a Hamming distance.

Multi-index hashing: the hash is stored whole and as four 16-bit bands, each indexed. Two hashes
within distance ``d`` have, by pigeonhole, at least one band within ``ceil((d + 1) / 4) - 1`` bits
of each other; so the candidates are the rows whose band equals one of the probed values of the same
band (an indexed ``IN`` per band, OR-ed), and the exact distance is computed here for those only.
The lookup is exact for every ``max_distance`` up to ``MAX_DISTANCE`` (11: each band probed within 2
bits, 137 values per band). On PostgreSQL (≥ 14: ``bit_count``) each band is one index-only scan
(the band indexes cover the hash and the id) and the distance, the filter, the order and the limit
are SQL; elsewhere (SQLite) the candidates come back and the distance is computed here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Q

from assets import analysis
from assets.models import Asset

MAX_DISTANCE = 11  # exact up to here; beyond, the probes (and the candidates) grow fast
MAX_RESULTS = 10


@dataclass(frozen=True)
class Match:
    asset_id: uuid.UUID
    distance: int


def default_max_distance() -> int:
    return min(MAX_DISTANCE, max(0, int(settings.DAM_SIMILAR_MAX_DISTANCE)))


def similar_to(asset: Asset, *, max_distance: int | None = None, limit: int = MAX_RESULTS) -> list[Match]:
    """Other assets within ``max_distance`` of ``asset``'s hash (default DAM_SIMILAR_MAX_DISTANCE),
    closest first (ties: by id)."""
    if asset.perceptual_hash is None:
        return []
    distance = default_max_distance() if max_distance is None else max_distance
    return matches(asset.perceptual_hash, max_distance=distance, limit=limit, exclude=asset.pk)


def matches(
    perceptual_hash: int, *, max_distance: int, limit: int = MAX_RESULTS, exclude: Any = None
) -> list[Match]:
    """Assets whose hash (signed, as stored) is within ``max_distance`` bits, closest first."""
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"max_distance must be 0..{MAX_DISTANCE}")
    probe = analysis.probe_for(max_distance)
    bands = analysis.hash_bands(analysis.unsigned64(perceptual_hash))
    probes = [analysis.probe_values(band, probe) for band in bands]
    connection = connections[Asset.objects.db]
    if connection.vendor == "postgresql":
        return _matches_in_postgresql(connection, perceptual_hash, probes, max_distance, limit, exclude)
    where = Q()
    for index, values in enumerate(probes):
        where |= Q(**{f"phash_{index}__in": values})
    rows = Asset.objects.filter(where).exclude(pk=exclude).order_by().values_list("id", "perceptual_hash")
    found = sorted(
        (analysis.hamming(perceptual_hash, other), str(pk), pk) for pk, other in rows if other is not None
    )
    return [Match(pk, distance) for distance, _, pk in found if distance <= max_distance][:limit]


# One index-only scan per band (each band's index covers the hash and the id), the distance in SQL.
_PG_SQL = """
    SELECT id, distance FROM (
        SELECT id, bit_count(int8send(perceptual_hash # %(hash)s)) AS distance FROM (
            {union}
        ) candidates
    ) measured
    WHERE distance <= %(max)s AND id IS DISTINCT FROM %(exclude)s
    ORDER BY distance, id::text
    LIMIT %(limit)s
"""
_PG_BAND = "SELECT id, perceptual_hash FROM {table} WHERE phash_{band} = ANY(%(band{band})s)"


def _matches_in_postgresql(
    connection: Any, value: int, probes: list[list[int]], max_distance: int, limit: int, exclude: Any
) -> list[Match]:
    table = connection.ops.quote_name(Asset._meta.db_table)
    union = "\n            UNION\n            ".join(
        _PG_BAND.format(table=table, band=band) for band in range(len(probes))
    )
    params: dict[str, Any] = {"hash": value, "max": max_distance, "limit": limit, "exclude": exclude}
    params.update({f"band{band}": values for band, values in enumerate(probes)})
    with connection.cursor() as cursor:
        cursor.execute(_PG_SQL.format(union=union), params)
        return [Match(pk, distance) for pk, distance in cursor.fetchall()]


def likeness(distance: int) -> str:
    """How alike two pictures are, in an editor's words (the distance, bits of the perceptual hash
    that differ, stays in the page's tooltip)."""
    if distance == 0:
        return "looks the same"
    return "nearly the same" if distance <= 3 else "similar"
