"""The spec editor's live check: as the editor types, the real parser's verdict (every problem,
not only the first), the canonical form, and a preview on a sample asset with its output size."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, JsonResponse

from assets.models import Asset, format_label
from renditions import pipeline, services
from renditions.exceptions import RenderFailed
from renditions.models import spec_limits
from renditions.specs import Spec

SAMPLES = 20  # recent assets offered as the preview's subject
# A preview URL expires 10 to 20 minutes after it is made: the same URL for ten minutes (the
# browser's cache holds while the editor types), and not a standing licence to render.
PREVIEW_WINDOW = 600


def samples() -> list[Asset]:
    return list(Asset.objects.filter(status=Asset.Status.READY).order_by("-created_at")[:SAMPLES])


def may_preview(request: HttpRequest) -> bool:
    return bool(request.user.has_perm("assets.view_asset"))


def check(request: HttpRequest, *, preview: bool) -> JsonResponse:
    text = request.GET.get("spec", "")
    problems = Spec.problems(text, spec_limits())
    if problems:
        return JsonResponse({"canonical": None, "errors": problems, "preview": None})
    spec = Spec.parse(text, spec_limits())
    shown = _preview(spec, request.GET.get("asset")) if preview else None
    return JsonResponse({"canonical": str(spec), "errors": [], "preview": shown})


def _preview(spec: Spec, asset_id: str | None) -> dict[str, Any] | None:
    asset = _sample(asset_id)
    if asset is None:
        return None
    found: dict[str, Any] = {"asset": {"id": str(asset.pk), "title": str(asset), "width": asset.width,
                                       "height": asset.height}}  # fmt: skip
    try:
        geometry = pipeline.geometry(
            spec, (asset.width, asset.height), asset.focal_point, services.render_limits()
        )
    except RenderFailed as exc:
        return {**found, "error": f"{exc.message} ({exc.code})"}
    width, height = geometry.output_size
    fmt = None if spec.is_auto_format else pipeline.output_format(spec, asset.format)
    expires = (int(time.time()) // PREVIEW_WINDOW + 2) * PREVIEW_WINDOW
    return {**found, "url": services.adhoc_url(asset, spec, expires=expires), "width": width, "height": height,
            "format": format_label(fmt) if fmt else "format by the browser's Accept"}  # fmt: skip


def _sample(asset_id: str | None) -> Asset | None:
    if asset_id:
        try:
            return Asset.objects.filter(pk=asset_id).first()
        except (ValueError, TypeError, Exception):  # not a UUID: no sample rather than a 500
            return None
    return Asset.objects.filter(status=Asset.Status.READY).order_by("-created_at").first()
