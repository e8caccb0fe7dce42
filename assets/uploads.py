"""Direct uploads: the client sends bytes straight to storage, then asks us to ``complete``.

1. ``start`` records an ``Upload`` bound to the key (or staff user) that asked, and says where and
   how to send the file: on S3 a presigned POST whose policy admits exactly the declared size and
   content type (an allowed image type) under a key we chose in the quarantine prefix, stored as
   ``Content-Disposition: attachment``; on local storage a URL of this app with the same contract
   (a multipart POST of ``fields`` + ``file``), authorised by a signed token in its query string so
   that the token is checked before a byte of the body is read.
2. ``complete`` (only by the creator, before ``expires_at``) checks the object is there with the
   declared size (409 ``upload_incomplete`` otherwise), then runs it through ``ingest`` exactly
   like a multipart upload. moto, like some S3-compatible servers, does not enforce POST policies:
   the server must not trust them. The quarantined object is deleted either way; completing twice
   returns the same asset.
3. ``prune`` deletes what was never completed once it expired: the row and its quarantined object.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from assets.exceptions import RejectedUpload
from assets.ingest import AssetFields, ingest
from assets.metadata import CONTENT_TYPES
from assets.models import ApiKey, Asset, Upload
from assets.replace import replace_file
from dam.errors import DamError, Overloaded
from dam.storage import uploads_storage
from dam.unavailable import is_unavailable

logger = logging.getLogger(__name__)
SIGNING_SALT = "dam.uploads.local"
QUARANTINE_DISPOSITION = "attachment"  # a quarantined object opened by a browser downloads, never renders
# Content types a client may declare, per allowed format (HEIF files are commonly sent as HEIC).
DECLARABLE_TYPES: dict[str, tuple[str, ...]] = {**{f: (t,) for f, t in CONTENT_TYPES.items()},
                                                "HEIF": ("image/heif", "image/heic")}  # fmt: skip
SPOOL_BYTES = 16 * 1024 * 1024  # a completed upload is held in memory up to this, then on disk
COPY_CHUNK = 1024 * 1024


class UploadIncomplete(DamError):
    code = "upload_incomplete"
    status = 409


class UploadUsed(DamError):
    """An upload already completed into one asset, offered again for another (each upload makes
    exactly one original)."""

    code = "upload_used"
    status = 409


class UploadExpired(DamError):
    """``complete`` after ``expires_at``: the client starts a new upload."""

    code = "upload_expired"
    status = 410


def allowed_content_types() -> list[str]:
    allowed = {f.upper() for f in settings.DAM_ALLOWED_FORMATS}
    return sorted({t for fmt, types in DECLARABLE_TYPES.items() if fmt in allowed for t in types})


def start(
    *, filename: str, content_type: str, byte_size: int, api_key: ApiKey | None, user: Any, base_url: str
) -> tuple[Upload, dict[str, Any]]:
    if byte_size <= 0:
        raise RejectedUpload("The file is empty.", code="empty_file")
    if byte_size > settings.DAM_MAX_UPLOAD_BYTES:
        raise RejectedUpload(f"The file is larger than the limit of {settings.DAM_MAX_UPLOAD_BYTES} bytes.",
                             code="file_too_large")  # fmt: skip
    if content_type not in allowed_content_types():
        raise RejectedUpload(f"{content_type} is not an accepted image type.", code="unsupported_format")
    expires = timezone.now() + timedelta(seconds=settings.DAM_DIRECT_UPLOAD_EXPIRY)
    upload = Upload.objects.create(
        filename=filename[:255], content_type=content_type, byte_size=byte_size, expires_at=expires,
        api_key=api_key, created_by=None if api_key else user,
    )  # fmt: skip
    storage = uploads_storage()
    if hasattr(storage, "bucket_name"):
        return upload, _presigned_post(storage, upload)
    return upload, _local_post(upload, base_url)


def _presigned_post(storage: Any, upload: Upload) -> dict[str, Any]:
    key = f"{storage.location}/{upload.storage_name}".lstrip("/")
    client = storage.connection.meta.client
    fields = {"Content-Type": upload.content_type, "Content-Disposition": QUARANTINE_DISPOSITION}
    post = client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=key,
        Fields=fields,
        Conditions=[["content-length-range", upload.byte_size, upload.byte_size],
                    *({name: value} for name, value in fields.items())],
        ExpiresIn=settings.DAM_DIRECT_UPLOAD_EXPIRY,
    )  # fmt: skip
    return {"method": "POST", "url": post["url"], "fields": post["fields"], "file_field": "file",
            "expires_at": upload.expires_at}  # fmt: skip


def _local_post(upload: Upload, base_url: str) -> dict[str, Any]:
    token = signing.dumps(str(upload.id), salt=SIGNING_SALT)
    url = f"{base_url}{reverse('api:upload-file', args=[upload.id])}?policy={token}"
    return {"method": "POST", "url": url, "fields": {"key": upload.storage_name},
            "file_field": "file", "expires_at": upload.expires_at}  # fmt: skip


def authorize_local(upload_id: str, *, policy: str) -> Upload:
    """The local stand-in for S3's policy check, made before the body is read: the signed token
    must be for this upload, unexpired, and the upload still waiting for its file."""
    try:
        signed_id = signing.loads(policy, salt=SIGNING_SALT, max_age=settings.DAM_DIRECT_UPLOAD_EXPIRY)
    except signing.BadSignature as exc:
        raise DamError("The upload policy is invalid or expired.", code="bad_signature", status=403) from exc
    upload = Upload.objects.filter(pk=upload_id).first() if signed_id == upload_id else None
    if upload is None or upload.status != Upload.Status.PENDING or upload.is_expired(timezone.now()):
        raise DamError("The upload policy is not for this upload.", code="bad_signature", status=403)
    return upload


def store_local(upload: Upload, fileobj: Any) -> None:
    """Keep the file S3 would have accepted: exactly the declared size (the request's body cap
    already stopped anything larger while it was being read)."""
    if fileobj.size > upload.byte_size:
        raise RejectedUpload(
            f"The file has more than the {upload.byte_size} bytes declared.", code="file_too_large"
        )
    if fileobj.size < upload.byte_size:
        raise UploadIncomplete(f"The file has {fileobj.size} bytes, not the {upload.byte_size} declared.")
    storage = uploads_storage()
    storage.delete(upload.storage_name)
    storage.save(upload.storage_name, File(fileobj))


def complete(
    upload: Upload, *, fields: AssetFields | None = None, uploaded_by: Any = None, replacing: Any = None
) -> tuple[Asset, bool]:
    """The asset for a finished direct upload, and whether it was created just now. With
    ``replacing`` (an asset id) the file becomes that asset's new original (assets/replace.py)."""
    upload = Upload.objects.select_related("asset").get(pk=upload.pk)
    if upload.status == Upload.Status.COMPLETE and upload.asset is not None:
        if replacing is not None and str(upload.asset.pk) != str(replacing):
            raise UploadUsed("This upload already holds the file of another asset; start a new one.")
        return upload.asset, False  # idempotent: a retried `complete` gets the same asset
    if upload.status == Upload.Status.REJECTED:
        raise RejectedUpload(
            "This upload was rejected; start a new one.", code=upload.error_code or "invalid_image"
        )
    if upload.is_expired(timezone.now()):
        raise UploadExpired("This upload expired before it was completed; start a new one.")
    _check_arrived(upload)
    claim = _claim(upload)
    try:
        asset = _ingest(upload, fields, uploaded_by, replacing)
    except RejectedUpload as exc:
        _finish(upload, claim, Upload.Status.REJECTED, error_code=exc.code)
        raise
    except BaseException:
        _release(upload, claim)  # retryable
        raise
    if not _finish(upload, claim, Upload.Status.COMPLETE, asset=asset):
        if replacing is not None:  # the asset existed before: never delete it
            raise UploadIncomplete("This upload was completed by another request.")
        return _lost_claim(upload, asset)
    return asset, True


def _check_arrived(upload: Upload) -> None:
    try:
        size = uploads_storage().size(upload.storage_name)
    except Exception as exc:  # not there yet (FileNotFoundError locally, a 404 ClientError on S3)
        if is_unavailable(exc):  # storage down or slow, not "no file": the client retries on 503
            raise Overloaded("Storage is unavailable; try again shortly.") from exc
        raise UploadIncomplete("The file has not arrived in storage yet.") from exc
    if size != upload.byte_size:
        raise UploadIncomplete(f"The stored file has {size} bytes, not the {upload.byte_size} declared.")


def _claim(upload: Upload) -> datetime:
    """Of two concurrent `complete` calls (a client retrying), exactly one ingests. A claim older
    than DAM_UPLOAD_COMPLETE_TIMEOUT belongs to a worker that died: it may be taken over."""
    now = timezone.now()
    dead = now - timedelta(seconds=settings.DAM_UPLOAD_COMPLETE_TIMEOUT)
    takeable = Q(status=Upload.Status.PENDING) | Q(status=Upload.Status.COMPLETING, claimed_at__lte=dead)
    if not Upload.objects.filter(takeable, pk=upload.pk).update(
        status=Upload.Status.COMPLETING, claimed_at=now
    ):
        raise UploadIncomplete("This upload is being completed by another request; retry shortly.")
    return now


def _ingest(upload: Upload, fields: AssetFields | None, uploaded_by: Any, replacing: Any) -> Asset:
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as local:
        with uploads_storage().open(upload.storage_name, "rb") as remote:
            shutil.copyfileobj(remote, local, length=COPY_CHUNK)
        if replacing is not None:
            return replace_file(replacing, local, filename=upload.filename, by=uploaded_by)
        return ingest(local, filename=upload.filename, fields=fields, uploaded_by=uploaded_by)


def _held(upload: Upload, claim: datetime) -> Any:
    return Upload.objects.filter(pk=upload.pk, status=Upload.Status.COMPLETING, claimed_at=claim)


def _finish(
    upload: Upload, claim: datetime, status: str, *, asset: Asset | None = None, error_code: str = ""
) -> bool:
    """Record the outcome if this request still holds the claim; the quarantine is emptied either way."""
    with transaction.atomic():
        held = bool(_held(upload, claim).update(status=status, asset=asset, error_code=error_code))
    if held:
        try:
            uploads_storage().delete(upload.storage_name)
        except Exception:
            logger.exception("could not delete quarantined upload %s", upload.storage_name)
    return held


def _release(upload: Upload, claim: datetime) -> None:
    _held(upload, claim).update(status=Upload.Status.PENDING, claimed_at=None)


def _lost_claim(upload: Upload, asset: Asset) -> tuple[Asset, bool]:
    """This request ran past the claim timeout and another `complete` took over: the asset made
    here is a duplicate. Remove it and answer with the other request's outcome."""
    logger.warning(
        "complete of upload %s outlived its claim; dropping duplicate asset %s", upload.pk, asset.pk
    )
    asset.delete()  # its original leaves storage after commit (assets.signals)
    upload.refresh_from_db()
    if upload.status == Upload.Status.COMPLETE and upload.asset is not None:
        return upload.asset, False
    raise UploadIncomplete("This upload is being completed by another request; retry shortly.")


def expired(now: datetime | None = None) -> list[Upload]:
    """Expired uploads nobody completed, or whose `complete` died (a live claim is left alone)."""
    now = now or timezone.now()
    dead = now - timedelta(seconds=settings.DAM_UPLOAD_COMPLETE_TIMEOUT)
    live_claim = Q(status=Upload.Status.COMPLETING, claimed_at__gt=dead)
    return list(Upload.objects.abandoned(now).exclude(live_claim).order_by("expires_at"))


def discard(upload: Upload) -> None:
    """Delete an expired upload's quarantined object, then its row (a later `complete` gets 404).
    Storage first: when it fails, the row stays and the next prune tries again."""
    uploads_storage().delete(upload.storage_name)
    Upload.objects.filter(pk=upload.pk, status=upload.status, claimed_at=upload.claimed_at).delete()
