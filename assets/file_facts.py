"""What a file says about itself, recorded once when it arrives (ingest, replacement, backfill).

The file's descriptive metadata (``assets.embedded``) is stored on the original (``embedded``,
``taken_at``): a replaced file's kept version keeps its own. The asset's editable fields (title,
caption, credit, copyright, tags) take the file's values only where the client sent nothing: what
an editor or an API client typed always wins, and later edits are never overwritten by the file.

``FILLERS`` is the list ``manage.py backfill_metadata`` runs over assets that lack a file-derived
field: add one to have an older library filled in for a new field.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q

from assets import analysis
from assets.embedded import Embedded, read_embedded

if TYPE_CHECKING:
    from assets.ingest import AssetFields
    from assets.models import Asset, Original

logger = logging.getLogger(__name__)

TITLE_LENGTH = 255  # the model's CharFields
LINE_LENGTH = 255


def read(fileobj: IO[bytes], fmt: str) -> Embedded:
    return read_embedded(fileobj, fmt, gps=settings.DAM_STORE_GPS)


def record(original: Original, found: Embedded) -> None:
    """Store the file's metadata on an original (an asset, or the measured twin of a replacement)."""
    original.embedded = found.as_json()
    original.taken_at = as_utc(found.taken_at)
    if found.notes:
        logger.info("embedded metadata: %s", "; ".join(found.notes))


def as_utc(moment: datetime | None) -> datetime | None:
    """A time the file gave without an offset is taken as UTC (the camera's clock zone is unknown)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def fill_new_asset(asset: Asset, fileobj: IO[bytes], fields: AssetFields) -> AssetFields:
    """At ingest: record the file's metadata on ``asset`` and fill what the client left empty.
    Returns the fields with the file's keywords as tags when the client sent none."""
    found = read(fileobj, asset.format)
    record(asset, found)
    if not fields.title and found.title:
        asset.title = found.title[:TITLE_LENGTH]
    if not fields.caption and found.description:
        asset.caption = found.description
    if not fields.credit and found.credit:
        asset.credit = found.credit[:LINE_LENGTH]
    if not fields.copyright and found.copyright:
        asset.copyright = found.copyright[:LINE_LENGTH]
    if not list(fields.tags) and found.keywords:
        fields = dataclasses.replace(fields, tags=list(found.keywords))
    return fields


# --- backfill ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filler:
    """One file-derived field an older asset may lack: which rows, and how to fill one from its file."""

    name: str
    lacking: Q  # the assets that lack it (a query)
    lacks: Callable[[Asset], bool]  # whether this one does (the same test, on a loaded row)
    fill: Callable[[Asset, IO[bytes]], list[str]]  # sets the fields from the open file; their names


def _fill_embedded(asset: Asset, fileobj: IO[bytes]) -> list[str]:
    record(asset, read(fileobj, asset.format))
    return ["embedded", "taken_at"]


def _fill_analysis(asset: Asset, fileobj: IO[bytes]) -> list[str]:
    analysis.analyse_file(asset, fileobj)
    return ANALYSIS_FIELDS


ANALYSIS_FIELDS = ["placeholder", "dominant_color", "perceptual_hash", *(f"phash_{i}" for i in range(analysis.BANDS)),
                   "auto_focal_x", "auto_focal_y"]  # fmt: skip

FILLERS: list[Filler] = [
    Filler("embedded", Q(embedded__isnull=True), lambda asset: asset.embedded is None, _fill_embedded),
    # The placeholder, colour, perceptual hash and automatic focal point (assets/analysis.py). An
    # automatic focal point moves the crop of `fill` renditions: those get new keys and are made again.
    Filler(
        "analysis",
        Q(perceptual_hash__isnull=True),
        lambda asset: asset.perceptual_hash is None,
        _fill_analysis,
    ),
]


def fillers_named(names: list[str] | None) -> list[Filler]:
    if not names:
        return list(FILLERS)
    known = {f.name: f for f in FILLERS}
    return [known[n] for n in names]


def lacking(fillers: list[Filler]) -> Q:
    found = Q(pk__in=[])
    for filler in fillers:
        found |= filler.lacking
    return found


def fill(asset: Asset, fileobj: IO[bytes], fillers: list[Filler]) -> list[str]:
    """Run every filler the asset lacks; the names of the fields set (to save)."""
    changed: list[str] = []
    for filler in fillers:
        if filler.lacks(asset):
            changed += filler.fill(asset, fileobj)
            fileobj.seek(0)
    return changed


def describe(found: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The stored metadata as (label, value) rows for the admin."""
    if not found:
        return []
    labels = [("title", "Title"), ("description", "Description"), ("creator", "Creator"), ("credit", "Credit"),
              ("copyright", "Copyright"), ("keywords", "Keywords"), ("taken_at", "Taken"),
              ("camera_make", "Camera make"), ("camera_model", "Camera model"), ("lens", "Lens"),
              ("orientation", "Orientation"), ("gps", "GPS"), ("sources", "Read from"), ("notes", "Skipped")]  # fmt: skip
    rows = []
    for key, label in labels:
        value = found.get(key)
        if not value:
            continue
        if isinstance(value, dict):
            value = f"{value.get('latitude')}, {value.get('longitude')}"
        elif isinstance(value, list):
            value = ", ".join(str(v).upper() if key == "sources" else str(v) for v in value)
        rows.append((label, str(value)))
    return rows
