"""Direct uploads: the client sends bytes straight to storage, then asks us to ``complete``.

1. ``start`` records an ``Upload`` and says where and how to send the file: on S3 a presigned
   POST (a content-length range, a key we chose in the quarantine prefix, an expiry); on local
   storage a URL of this app with the same contract (a multipart POST of ``fields`` + ``file``).
2. ``complete`` checks the object is there with the declared size (409 ``upload_incomplete``
   otherwise), then runs it through ``ingest`` exactly like a multipart upload. moto, like some
   S3-compatible servers, does not enforce POST policies: the server must not trust them.
   The quarantined object is deleted either way; completing twice returns the same asset.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assets.exceptions import RejectedUpload
from assets.ingest import AssetFields, ingest
from assets.models import ApiKey, Asset, Upload
from dam.errors import DamError
from dam.storage import uploads_storage

logger = logging.getLogger(__name__)
SIGNING_SALT = "dam.uploads.local"


class UploadIncomplete(DamError):
    code = "upload_incomplete"
    status = 409


def start(
    *, filename: str, content_type: str, byte_size: int, api_key: ApiKey | None, base_url: str
) -> tuple[Upload, dict[str, Any]]:
    if byte_size <= 0:
        raise RejectedUpload("The file is empty.", code="empty_file")
    if byte_size > settings.DAM_MAX_UPLOAD_BYTES:
        raise RejectedUpload(f"The file is larger than the limit of {settings.DAM_MAX_UPLOAD_BYTES} bytes.",
                             code="file_too_large")  # fmt: skip
    expires = timezone.now() + timedelta(seconds=settings.DAM_DIRECT_UPLOAD_EXPIRY)
    upload = Upload.objects.create(filename=filename[:255], content_type=content_type[:100],
                                   byte_size=byte_size, api_key=api_key, expires_at=expires)  # fmt: skip
    storage = uploads_storage()
    if hasattr(storage, "bucket_name"):
        return upload, _presigned_post(storage, upload)
    return upload, _local_post(upload, base_url)


def _presigned_post(storage: Any, upload: Upload) -> dict[str, Any]:
    key = f"{storage.location}/{upload.storage_name}".lstrip("/")
    client = storage.connection.meta.client
    post = client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=key,
        Fields={"Content-Type": upload.content_type},
        Conditions=[["content-length-range", 1, settings.DAM_MAX_UPLOAD_BYTES],
                    {"Content-Type": upload.content_type}],
        ExpiresIn=settings.DAM_DIRECT_UPLOAD_EXPIRY,
    )  # fmt: skip
    return {"method": "POST", "url": post["url"], "fields": post["fields"], "file_field": "file",
            "expires_at": upload.expires_at}  # fmt: skip


def _local_post(upload: Upload, base_url: str) -> dict[str, Any]:
    token = signing.dumps(str(upload.id), salt=SIGNING_SALT)
    url = base_url + reverse("api:upload-file", args=[upload.id])
    return {"method": "POST", "url": url, "fields": {"key": upload.storage_name, "policy": token},
            "file_field": "file", "expires_at": upload.expires_at}  # fmt: skip


def receive_local(upload: Upload, *, policy: str, fileobj: Any) -> None:
    """The local stand-in for S3's POST endpoint: same fields, same checks S3 would make."""
    try:
        signed_id = signing.loads(policy, salt=SIGNING_SALT, max_age=settings.DAM_DIRECT_UPLOAD_EXPIRY)
    except signing.BadSignature as exc:
        raise DamError("The upload policy is invalid or expired.", code="bad_signature", status=403) from exc
    if signed_id != str(upload.id) or upload.status != Upload.Status.PENDING:
        raise DamError("The upload policy is not for this upload.", code="bad_signature", status=403)
    if fileobj.size > settings.DAM_MAX_UPLOAD_BYTES:
        raise RejectedUpload("The file is larger than the upload limit.", code="file_too_large")
    storage = uploads_storage()
    storage.delete(upload.storage_name)
    storage.save(upload.storage_name, File(fileobj))


def complete(
    upload_id: Any, *, fields: AssetFields | None = None, uploaded_by: Any = None
) -> tuple[Asset, bool]:
    """The asset for a finished direct upload, and whether it was created just now."""
    upload = Upload.objects.select_related("asset").get(pk=upload_id)
    if upload.status == Upload.Status.COMPLETE and upload.asset is not None:
        return upload.asset, False  # idempotent: a retried `complete` gets the same asset
    if upload.status == Upload.Status.REJECTED:
        raise RejectedUpload(
            "This upload was rejected; start a new one.", code=upload.error_code or "invalid_image"
        )
    storage = uploads_storage()
    try:
        size = storage.size(upload.storage_name)
    except Exception as exc:  # not there yet (FileNotFoundError locally, a 404 ClientError on S3)
        raise UploadIncomplete("The file has not arrived in storage yet.") from exc
    if size != upload.byte_size:
        raise UploadIncomplete(f"The stored file has {size} bytes, not the {upload.byte_size} declared.")
    # Claim it: of two concurrent `complete` calls (a client retrying), exactly one ingests.
    if not Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(
        status=Upload.Status.COMPLETING
    ):
        raise UploadIncomplete("This upload is being completed by another request; retry shortly.")
    try:
        with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as local:
            with storage.open(upload.storage_name, "rb") as remote:
                shutil.copyfileobj(remote, local, length=1024 * 1024)
            asset = ingest(local, filename=upload.filename, fields=fields, uploaded_by=uploaded_by)
    except RejectedUpload as exc:
        _finish(upload, Upload.Status.REJECTED, error_code=exc.code)
        raise
    except BaseException:
        Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.PENDING)  # retryable
        raise
    _finish(upload, Upload.Status.COMPLETE, asset=asset)
    return asset, True


def _finish(upload: Upload, status: str, *, asset: Asset | None = None, error_code: str = "") -> None:
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).update(status=status, asset=asset, error_code=error_code)
    try:
        uploads_storage().delete(upload.storage_name)  # quarantine is emptied either way
    except Exception:
        logger.exception("could not delete quarantined upload %s", upload.storage_name)
