"""Replacing an asset's original, and restoring an earlier one: the one write path for both.

The asset keeps its id, title, tags, collection and focal point; the file it had becomes an
``AssetVersion`` (who replaced it, when, its checksum and size) and stays in storage, so it can
be restored. The new file is validated exactly like an upload (``inspect_upload``, ingest's own
check) and stored under a new key: nothing is overwritten. Rendition keys hash the checksum, so
every rendition URL changes; the delivery view redirects the old URLs to the new ones. The
rendition app's hooks run inside the transaction (drop the old renditions' rows, whose files then
leave storage after the commit; record the ``asset.updated`` webhook), and eager renditions are
queued after it, as for a new upload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from assets import analysis, file_facts, ingest
from assets.exceptions import AssetNotFound
from assets.models import Asset, AssetVersion
from assets.validators import Inspection, inspect_upload, safe_display_name
from dam.errors import DamError, Overloaded
from dam.storage import originals_storage

logger = logging.getLogger(__name__)

# Registered by the rendition app (assets does not import renditions); each runs inside the
# transaction with the asset as it is now and the checksum it had before.
on_replace: list[Callable[[Asset, str], None]] = []


class NotThisAssetsVersion(DamError):
    code = "not_found"
    status = 404


def replace_file(asset_id: Any, fileobj: IO[bytes], *, filename: str, by: Any = None) -> Asset:
    """Validate ``fileobj`` and make it the asset's original. Raises ``RejectedUpload`` (then
    nothing changed and nothing was stored). Not inside ``transaction.atomic()``: it writes to storage."""
    if not Asset.objects.filter(pk=asset_id).exists():
        raise AssetNotFound("There is no such asset.")
    inspection = inspect_upload(fileobj, ingest.limits_from_settings())
    found = file_facts.read(fileobj, inspection.facts.format)
    fileobj.seek(0)
    key = Asset.storage_key(asset_id, inspection.facts.extension, replacement=True)
    try:
        stored = originals_storage().save(key, File(fileobj))
    except (BotoCoreError, ClientError) as exc:
        logger.exception("storage refused the new original of asset %s", asset_id)
        raise Overloaded("Storage is unavailable; try again shortly.") from exc
    try:
        with transaction.atomic():
            asset = Asset.objects.select_for_update().get(pk=asset_id)
            previous = asset.sha256
            _keep_as_version(asset, by)
            measured = _measured(inspection, filename)
            file_facts.record(measured, found)  # the file's own metadata; the editors' fields stay
            measured.copy_original_to(asset)
            asset.file.name = stored
            _commit(asset, previous, by)
    except BaseException:
        originals_storage().delete(stored)  # nothing half-written
        raise
    logger.info("replaced the original of asset %s (%s → %s)", asset.pk, previous[:12], asset.sha256[:12])
    return asset


def restore_version(asset_id: Any, version_id: Any, *, by: Any = None) -> Asset:
    """Make a kept version the original again; the current file becomes a version in its place."""
    with transaction.atomic():
        asset = Asset.objects.select_for_update().filter(pk=asset_id).first()
        version = AssetVersion.objects.select_for_update().filter(pk=version_id, asset_id=asset_id).first()
        if asset is None or version is None:
            raise NotThisAssetsVersion("There is no such version of this asset.")
        previous = asset.sha256
        current = Asset()
        asset.copy_original_to(current)
        version.copy_original_to(asset)
        current.copy_original_to(version)
        version.uploaded_at, version.uploaded_by = _current_since(asset), asset.uploaded_by
        version.replaced_at, version.replaced_by = timezone.now(), _user(by)
        version.save()
        _commit(asset, previous, by)
    return asset


def _keep_as_version(asset: Asset, by: Any) -> AssetVersion:
    version = AssetVersion(asset=asset, uploaded_at=_current_since(asset), uploaded_by=asset.uploaded_by,
                           replaced_at=timezone.now(), replaced_by=_user(by))  # fmt: skip
    asset.copy_original_to(version)
    version.save()
    return version


def _commit(asset: Asset, previous_checksum: str, by: Any) -> None:
    asset.uploaded_by = _user(by)
    asset.failure_reason = ""
    asset.status = Asset.Status.READY
    ingest.prepare_row(asset)  # `processing` while eager renditions are remade
    asset.save()
    for hook in on_replace:
        hook(asset, previous_checksum)
    for queue in ingest.after_ingest:
        transaction.on_commit(lambda queue=queue: queue(asset))  # type: ignore[misc]


def _current_since(asset: Asset) -> Any:
    """When the asset's current file arrived: its last replacement, else its creation."""
    last = asset.versions.order_by("-replaced_at").values_list("replaced_at", flat=True).first()
    return last or asset.created_at


def _measured(inspection: Inspection, filename: str) -> Asset:
    facts = inspection.facts
    measured = Asset(
        original_filename=safe_display_name(filename, fallback=f"upload.{facts.extension}"),
        content_type=facts.content_type, format=facts.format, byte_size=inspection.byte_size,
        width=facts.width, height=facts.height, sha256=inspection.sha256, frame_count=facts.frame_count,
        mode=facts.mode, has_icc=facts.has_icc, has_alpha=facts.has_alpha, exif=facts.exif,
    )  # fmt: skip
    # Placeholder, colour, hash and automatic focal point of the new file (the editor's point stays).
    analysis.analyse_original(measured, inspection.preview, orientation=facts.orientation)
    return measured


def _user(by: Any) -> Any:
    return by if by is not None and getattr(by, "is_authenticated", False) and hasattr(by, "_meta") else None
