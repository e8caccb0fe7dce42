"""What a webhook says about an asset: its state and every named rendition, with absolute URLs
(made outside any request, so from the public base URL: dam/public_url.py). Installed into
``assets.outbox`` at start-up (renditions/apps.py): assets does not import renditions."""

from __future__ import annotations

from typing import Any

from assets.models import Asset
from dam.public_url import public_base_url
from renditions import services


def describe_asset(asset: Asset) -> dict[str, Any]:
    renditions = services.named_renditions([asset], base=public_base_url())[asset.id]
    point = asset.focal_point
    return {
        "id": str(asset.id), "status": asset.status, "failure_reason": asset.failure_reason,
        "title": asset.title, "alt_text": asset.alt_text, "filename": asset.original_filename,
        "tags": sorted(tag.name for tag in asset.tags.all()),
        "checksum": asset.sha256, "width": asset.width, "height": asset.height,
        "focal_point": None if point is None else {"x": point[0], "y": point[1], "source": asset.focal_point_source},
        "updated_at": asset.updated_at,
        "renditions": {name: info.as_dict() for name, info in renditions.items()},
    }  # fmt: skip
