"""The one write path for new originals: validate → measure → store → row → after commit.

The admin (single and multi-file upload), the API's multipart upload and a direct upload's
``complete`` all call :func:`ingest`; nothing else creates an ``Asset``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files import File
from django.db import transaction
from django.db.models import Exists, Q, QuerySet

from assets import analysis, file_facts, memory, outbox
from assets.filenames import safe_display_name
from assets.models import Asset, Collection, Tag
from assets.validators import Inspection, Limits, inspect_upload
from dam.errors import Overloaded
from dam.slots import DecodeSlots
from dam.storage import originals_storage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BeforeSave:
    """A hook on a row about to be written (a new asset, a replaced file): ``question`` is a
    queryset whose existence ``apply`` needs, asked in the same query that finds the asset's
    collection (``prepare_row``), not in one of its own."""

    question: QuerySet[Any]
    apply: Callable[[Asset, bool], None]


# Hooks the rendition app registers (assets does not import renditions): before the row is
# saved (mark it `processing` when eager specs exist), and after it commits (queue them).
before_save: list[BeforeSave] = []
after_ingest: list[Callable[[Asset], None]] = []


def prepare_row(asset: Asset) -> None:
    """Put ``asset`` in the default (root) collection when it has none, and apply every
    ``before_save`` hook: one query for all of it (each question an EXISTS beside the collection)."""
    answers = {f"answer_{i}": Exists(hook.question) for i, hook in enumerate(before_save)}
    where = Q(depth=1) if asset.collection_id is None else Q(pk=asset.collection_id)
    row = Collection.objects.filter(where).order_by("path").values("pk", **answers).first()
    if row is None:  # an emptied library (the first upload makes its root), or a collection gone
        if asset.collection_id is None:
            asset.collection = Collection.default()
        row = {name: hook.question.exists() for name, hook in zip(answers, before_save, strict=True)}
    elif asset.collection_id is None:
        asset.collection_id = row["pk"]
    for name, hook in zip(answers, before_save, strict=True):
        hook.apply(asset, bool(row[name]))


def limits_from_settings() -> Limits:
    return Limits(
        max_upload_bytes=settings.DAM_MAX_UPLOAD_BYTES,
        max_image_pixels=settings.DAM_MAX_IMAGE_PIXELS,
        max_total_pixels=settings.DAM_MAX_TOTAL_PIXELS,
        max_frames=settings.DAM_MAX_FRAMES,
        allowed_formats=frozenset(f.upper() for f in settings.DAM_ALLOWED_FORMATS),
        sandbox=settings.DAM_DECODE_SANDBOX,
        decode_gate=decode_gate,
    )


# A decode that holds more than this takes one of the process's slots for heavy decodes (shared
# with renders, ``dam.slots``): a 16 MP RGBA frame. A photo (a JPEG validated at 1/8 scale) never
# waits; a handful of 100 MP PNGs sent at once wait their turn instead of holding gigabytes.
HEAVY_DECODE_BYTES = 64 * 1024 * 1024


def decode_gate(held: int) -> AbstractContextManager[object]:
    if held <= HEAVY_DECODE_BYTES:
        return nullcontext()
    return DecodeSlots.held(settings.DAM_RENDER_WAIT_SECONDS,
                            "Every slot for large images is busy; try the upload again shortly.")  # fmt: skip


@dataclass
class AssetFields:
    """Editor-supplied metadata that may accompany an upload."""

    title: str = ""
    alt_text: str = ""
    caption: str = ""
    credit: str = ""
    copyright: str = ""
    focal_x: float | None = None
    focal_y: float | None = None
    tags: Iterable[str] = field(default_factory=list)
    collection_id: int | None = None  # None: the default (root) collection
    licence: str = ""
    licence_detail: str = ""
    usage_terms: str = ""
    rights_expire_on: date | None = None


def ingest(
    fileobj: IO[bytes],
    *,
    filename: str,
    fields: AssetFields | None = None,
    uploaded_by: AbstractBaseUser | AnonymousUser | None = None,
) -> Asset:
    """Validate ``fileobj`` by its content and store it as a new asset.

    Raises ``RejectedUpload`` (with a stable code: the README's error table) and then leaves no row and no object.
    Must not be called inside ``transaction.atomic()``: it writes to storage.
    """
    fields = fields or AssetFields()
    started = time.perf_counter()
    inspection = inspect_upload(fileobj, limits_from_settings())
    facts = inspection.facts
    memory.release_after(facts.width * facts.height * facts.frame_count)
    if inspection.notes:
        logger.info("ingest: not shown to the decoder: %s", "; ".join(inspection.notes))
    asset = _build_asset(inspection, filename, fields, uploaded_by)
    fields = file_facts.fill_new_asset(asset, fileobj, fields)  # the file's title, tags… where none were sent
    analysis.analyse_original(asset, inspection.preview, orientation=facts.orientation)
    fileobj.seek(0)
    try:
        stored_name = originals_storage().save(
            Asset.storage_key(asset.id, inspection.facts.extension), File(fileobj)
        )
    except (BotoCoreError, ClientError) as exc:
        logger.exception("storage refused the original of asset %s", asset.id)
        raise Overloaded("Storage is unavailable; try again shortly.") from exc
    # The webhook endpoints are read once for the whole ingest (created, then ready).
    with outbox.endpoints_read_once():
        try:
            asset.file.name = stored_name
            prepare_row(asset)
            names = _tag_names(fields.tags)
            announce = outbox.wants("asset.created")
            # One INSERT is its own transaction: BEGIN and COMMIT (two round trips) only when
            # more rows go with it (tags, the announcement, announced if and only if it commits).
            with transaction.atomic() if names or announce else nullcontext():
                asset.save(force_insert=True)
                if names:  # a new asset has none to clear: no query for none
                    asset.tags.set([Tag.objects.get_or_create(name=name)[0] for name in names])
                if announce:
                    outbox.asset_event("asset.created", asset)
        except BaseException:
            originals_storage().delete(stored_name)  # nothing half-written: no row, no object
            raise
        # The row committed (or commits with a caller's transaction): from here on its original
        # stays, whatever a hook does.
        for hook in after_ingest:
            transaction.on_commit(lambda hook=hook: hook(asset))  # type: ignore[misc]
    logger.info(
        "ingested asset=%s format=%s size=%dx%d bytes=%d in %.0f ms",
        asset.id,
        asset.format,
        asset.width,
        asset.height,
        asset.byte_size,
        (time.perf_counter() - started) * 1000,
    )
    return asset


def _build_asset(inspection: Inspection, filename: str, fields: AssetFields, uploaded_by: Any) -> Asset:
    facts = inspection.facts
    display_name = safe_display_name(filename, fallback=f"upload.{facts.extension}")
    asset = Asset(
        id=uuid.uuid4(),
        title=fields.title or display_name.rsplit(".", 1)[0],
        alt_text=fields.alt_text,
        caption=fields.caption,
        credit=fields.credit,
        copyright=fields.copyright or facts.exif.get("copyright", ""),
        focal_x=fields.focal_x,
        focal_y=fields.focal_y,
        licence=fields.licence,
        licence_detail=fields.licence_detail,
        usage_terms=fields.usage_terms,
        rights_expire_on=fields.rights_expire_on,
        original_filename=display_name,
        content_type=facts.content_type,
        format=facts.format,
        byte_size=inspection.byte_size,
        width=facts.width,
        height=facts.height,
        sha256=inspection.sha256,
        frame_count=facts.frame_count,
        mode=facts.mode,
        has_icc=facts.has_icc,
        has_alpha=facts.has_alpha,
        exif=facts.exif,
        status=Asset.Status.READY,
        uploaded_by=uploaded_by if uploaded_by and uploaded_by.is_authenticated else None,
    )
    if fields.collection_id is not None:  # else Asset.save puts it in the default collection
        asset.collection_id = fields.collection_id
    return asset


def _tag_names(names: Iterable[str]) -> list[str]:
    return sorted({n.strip().lower()[:64] for n in names if n and n.strip()})


def parse_tags(text: str) -> list[str]:
    """Editors type tags as ``a, b, c``."""
    return [part for part in (p.strip() for p in text.split(",")) if part]
