"""Near-duplicates: assets whose perceptual hash (64-bit dHash) is within a Hamming distance.

Multi-index hashing: the hash is stored whole and as four 16-bit bands, each indexed. Two hashes
within distance ``d`` have, by pigeonhole, at least one band within ``ceil((d + 1) / 4) - 1`` bits
of each other; so the candidates are the rows whose band equals one of the probed values of the same
band (an indexed ``IN`` per band, OR-ed), and the exact distance is computed here for those only.
The lookup is exact for every ``max_distance`` up to ``MAX_DISTANCE`` (11: each band probed within 2
bits, 137 values per band). Works alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet

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


def similar_to(
    asset: Asset,
    *,
    max_distance: int | None = None,
    limit: int = MAX_RESULTS,
    queryset: QuerySet[Asset] | None = None,
) -> list[Match]:
    """Other assets within ``max_distance`` of ``asset``'s hash, closest first (then newest)."""
    if asset.perceptual_hash is None:
        return []
    distance = default_max_distance() if max_distance is None else max_distance
    return matches(asset.perceptual_hash, max_distance=distance, limit=limit,
                   queryset=(queryset if queryset is not None else Asset.objects.all()).exclude(pk=asset.pk))  # fmt: skip


def matches(
    perceptual_hash: int, *, max_distance: int, limit: int = MAX_RESULTS, queryset: QuerySet[Asset]
) -> list[Match]:
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"max_distance must be 0..{MAX_DISTANCE}")
    probe = analysis.probe_for(max_distance)
    bands = analysis.hash_bands(analysis.unsigned64(perceptual_hash))
    where = Q()
    for index, band in enumerate(bands):
        where |= Q(**{f"phash_{index}__in": analysis.probe_values(band, probe)})
    rows = queryset.filter(where).values_list("id", "perceptual_hash", "created_at")
    found = [(analysis.hamming(perceptual_hash, other), created, pk) for pk, other, created in rows
             if other is not None]  # fmt: skip
    close = [row for row in found if row[0] <= max_distance]
    close.sort(key=lambda row: (row[0], -row[1].timestamp()))
    return [Match(asset_id=pk, distance=d) for d, _, pk in close[:limit]]
