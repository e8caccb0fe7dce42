"""The upload page's JSON endpoints (admin URLs, admin permissions). The browser script sends
each file in its own request through the same direct-upload flow as the API (``assets.uploads``):

1. ``check``: is a file with this SHA-256 already in the library? (the editor may still keep it);
2. ``start``: an ``Upload`` and where to send the bytes: straight to S3 with a presigned POST, or
   on local storage to this app's stand-in for it;
3. ``complete``: validate the stored file exactly like any upload (``ingest``) and make the asset.

Refusals answer ``{"code", "message"}`` with the same stable codes as the API.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from treebeard.forms import TreeNodeChoiceField

from assets import similar, uploads
from assets.ingest import AssetFields, parse_tags
from assets.models import Asset, Collection, Upload
from dam.errors import DamError

CHECKSUM = re.compile(r"[0-9a-f]{64}")


def _text(**kwargs: Any) -> forms.CharField:
    return forms.CharField(required=False, widget=forms.TextInput(attrs={"class": "vTextField"}), **kwargs)


class UploadFieldsForm(forms.Form):
    """What an editor may say about the files of one upload; the same for each of them."""

    title = _text(max_length=255, help_text="Left empty, each file's name is used.")
    alt_text = _text(max_length=1000, label="Alt text")
    credit = _text(max_length=255)
    tags = _text(help_text="Comma-separated, e.g. “news, homepage”.")
    collection = TreeNodeChoiceField(queryset=Collection.objects.all(), required=False, empty_label=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # shown to the editor: the root preselected (sent empty: the root too)
            self.fields["collection"].initial = self.initial.get("collection") or Collection.default().pk

    def fields_for_ingest(self) -> AssetFields:
        data = self.cleaned_data
        collection = data.get("collection")
        return AssetFields(
            title=data["title"], alt_text=data["alt_text"], credit=data["credit"], tags=parse_tags(data["tags"]),
            collection_id=collection.pk if collection else None,
        )  # fmt: skip


def uploader_config(request: HttpRequest) -> dict[str, Any]:
    """What the browser script needs: URLs, the limits it checks before sending, concurrency."""
    allowed = [f.upper() for f in settings.DAM_ALLOWED_FORMATS]
    # The browser sniffs a file's format (as ingest does, not trusting its name) and declares the
    # format's type when it starts the upload: a HEIC file often reaches it with no type at all.
    declared = {fmt: uploads.DECLARABLE_TYPES[fmt][0] for fmt in allowed if fmt in uploads.DECLARABLE_TYPES}
    return {
        "checkUrl": reverse("admin:assets_asset_upload_check"),
        "startUrl": reverse("admin:assets_asset_upload_start"),
        "completeUrl": reverse(
            "admin:assets_asset_upload_complete", args=["00000000-0000-0000-0000-000000000000"]
        ),
        "maxBytes": settings.DAM_MAX_UPLOAD_BYTES,
        "formats": allowed,
        "types": uploads.allowed_content_types(),
        "declare": declared,
        "concurrency": settings.DAM_ADMIN_UPLOAD_CONCURRENCY,
    }


def refusal(exc: DamError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DamError("Send a JSON object.", code="invalid", status=400)
    return data


def asset_summary(asset: Asset) -> dict[str, str]:
    return {
        "id": str(asset.pk),
        "title": str(asset),
        "url": reverse("admin:assets_asset_change", args=[asset.pk]),
    }


@require_GET
def check(request: HttpRequest) -> JsonResponse:
    """``?checksum=<sha256 hex>`` → the asset that already has these bytes, or null."""
    checksum = request.GET.get("checksum", "").lower()
    if not CHECKSUM.fullmatch(checksum):
        return refusal(DamError("checksum must be 64 hex digits (SHA-256).", code="invalid", status=400))
    existing = Asset.objects.filter(sha256=checksum).order_by("created_at").first()
    return JsonResponse({"duplicate": asset_summary(existing) if existing else None})


@require_POST
def start(request: HttpRequest) -> JsonResponse:
    try:
        data = _body(request)
        filename, content_type = str(data.get("filename", ""))[:255], str(data.get("content_type", ""))[:100]
        byte_size = data.get("byte_size")
        if not filename or not isinstance(byte_size, int):
            raise DamError("Send filename, content_type and byte_size.", code="invalid", status=400)
        upload, instructions = uploads.start(
            filename=filename, content_type=content_type, byte_size=byte_size, api_key=None,
            user=request.user, base_url=request.build_absolute_uri("/").rstrip("/"),
        )  # fmt: skip
    except DamError as exc:
        return refusal(exc)
    instructions["expires_at"] = instructions["expires_at"].isoformat()
    return JsonResponse({"upload": str(upload.pk), "instructions": instructions}, status=201)


@require_POST
def complete(request: HttpRequest, upload_id: str) -> JsonResponse:
    form = UploadFieldsForm(_form_data(request))
    if not form.is_valid():
        return JsonResponse({"code": "invalid", "message": form.errors.as_text()}, status=400)
    upload = Upload.objects.created_by(api_key=None, user=request.user).filter(pk=upload_id).first()
    if upload is None:  # someone else's upload is none of this editor's business
        return refusal(DamError("There is no such upload.", code="not_found", status=404))
    try:
        asset, _ = uploads.complete(upload, fields=form.fields_for_ingest(), uploaded_by=request.user)
    except DamError as exc:
        return refusal(exc)
    twin = Asset.objects.filter(sha256=asset.sha256).exclude(pk=asset.pk).order_by("created_at").first()
    return JsonResponse(
        {"asset": asset_summary(asset), "duplicate": asset_summary(twin) if twin else None,
         "similar": lookalike(asset, twin)}, status=201,
    )  # fmt: skip


def lookalike(
    asset: Asset, twin: Asset | None, besides: frozenset[Any] | set[Any] = frozenset()
) -> dict[str, Any] | None:
    """The closest near-duplicate other than a byte-identical twin (already said) and the assets
    ``besides`` (those uploaded with it), or None."""
    for match in similar.similar_to(asset, limit=2 + len(besides)):
        if (twin is None or match.asset_id != twin.pk) and match.asset_id not in besides:
            found = Asset.objects.filter(pk=match.asset_id).first()
            if found is not None:
                return {**asset_summary(found), "distance": match.distance}
    return None


def _form_data(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            return _body(request)
        except DamError:
            return {}
    return request.POST.dict()
