"""Where the consuming app uses an asset: one ``AssetUsage`` per (asset, the app's id for the place).

The app tells dam (``PUT``/``DELETE assets/{id}/usages/{external_id}``); editors see the list on the
asset page and are warned before deleting an asset in use. dam never acts on a usage by itself:
deleting a used asset through the API is allowed (the app asked for it) and takes its usages
with it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.http import Http404

from assets.models import ApiKey, Asset, AssetUsage


def put(
    asset_id: uuid.UUID, external_id: str, *, url: str, label: str,
    api_key: ApiKey | None = None, user: Any = None,
) -> tuple[AssetUsage, bool]:  # fmt: skip
    """Create or replace the usage; ``(usage, created)``. Idempotent: a replace that changes
    nothing writes nothing (its ``updated_at`` stays). The asset's row is locked for the write, so
    two writers of the same id make one row, and a delete of the asset waits for it (or wins, and
    this is a 404)."""
    with transaction.atomic():
        if not Asset.objects.select_for_update().filter(pk=asset_id).values_list("pk", flat=True).first():
            raise Http404("No such asset.")
        written = {
            "url": url,
            "label": label,
            "updated_by_key": api_key,
            "updated_by": None if api_key else user,
        }
        usage = AssetUsage.objects.filter(asset_id=asset_id, external_id=external_id).first()
        if usage is None:
            return AssetUsage.objects.create(asset_id=asset_id, external_id=external_id, **written), True
        if (usage.url, usage.label) != (url, label):
            for name, value in written.items():
                setattr(usage, name, value)
            usage.save()
        return usage, False


def delete(asset_id: uuid.UUID, external_id: str) -> bool:
    """Remove the usage; False when there was none."""
    deleted, _ = AssetUsage.objects.filter(asset_id=asset_id, external_id=external_id).delete()
    return deleted > 0
