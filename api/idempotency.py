"""``Idempotency-Key`` on the POSTs that create (assets, uploads), with Stripe's semantics.

* A retry with the same key (from the same API key or staff user) gets the first answer again,
  status, body and headers, plus ``Idempotent-Replayed: true``, for DAM_IDEMPOTENCY_TTL (24 h);
  nothing is created twice. Answers of 5xx are not kept: the retry runs the request again.
* The same key with another request (another body, another endpoint) → ``409 idempotency_conflict``.
* The same key while its first request still runs → ``409 idempotency_in_progress`` with
  ``Retry-After``. A first request whose process died holds the key for at most
  DAM_IDEMPOTENCY_LOCK_TIMEOUT; then a retry takes it over and runs.
* ``manage.py prune_idempotency_keys`` deletes expired records; an expired key is a new key.

The request is identified by a digest of its method, path and body. A multipart body is read as
its fields and files (name, size, SHA-256 of the content), not its bytes: every retry of a form
has a new random boundary.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import ApiKeyClient
from api.exceptions import IdempotencyConflict, IdempotencyInProgress
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255  # Stripe's limit: room for a UUID, or an app's own "import-<row id>"
KEY_PATTERN = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")  # visible ASCII, inner spaces
KEPT_HEADERS = ("Cache-Control", "Location", "Retry-After")  # besides Content-Type
SERVER_ERROR = 500  # answers from here up are not kept: the request may succeed when retried


def key_of(request: Request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not (0 < len(key) <= MAX_KEY_LENGTH and KEY_PATTERN.fullmatch(key)):
        raise ValidationError(
            {HEADER: [f"Expected 1–{MAX_KEY_LENGTH} visible ASCII characters, e.g. a UUID."]}
        )
    return key


def owner_of(request: Request) -> str:
    """Keys are scoped to who sent them: an API key's and a staff user's never meet."""
    return str(request.user.pk) if isinstance(request.user, ApiKeyClient) else f"user:{request.user.pk}"


def fingerprint(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # a form: its fields and files, by name
        for name, values in sorted(data.lists()):
            for value in values:
                digest.update(json.dumps([name, _describe(value)]).encode())
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _describe(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        content = hashlib.sha256()
        for chunk in value.chunks():  # chunks() starts at the beginning; the file is read again later
            content.update(chunk)
        return {"file": value.name, "size": value.size, "sha256": content.hexdigest()}
    return value


@dataclass
class Claim:
    """This request holds the key: it runs, and its answer is kept for the retries."""

    record: IdempotencyRecord

    def keep(self, response: Response) -> None:
        if response.status_code >= SERVER_ERROR:
            return self.release()
        headers = {name: response[name] for name in KEPT_HEADERS if name in response}
        headers["Content-Type"] = getattr(response, "content_type", None) or "application/json"
        self._held().update(
            response_status=response.status_code,
            response_body=JSONRenderer().render(response.data).decode(),
            response_headers=headers,
        )

    def release(self) -> None:
        self._held().delete()

    def _held(self) -> Any:
        # Only while still ours: a holder that outlived its lock lost it to a retry.
        return IdempotencyRecord.objects.filter(pk=self.record.pk, locked_at=self.record.locked_at,
                                                response_status__isnull=True)  # fmt: skip


def replay(record: IdempotencyRecord) -> HttpResponse:
    headers = dict(record.response_headers)
    response = HttpResponse(
        record.response_body.encode(),
        status=record.response_status,
        content_type=headers.pop("Content-Type", "application/json"),
    )
    for name, value in headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response


def claim(
    owner: str, key: str, request_digest: str, now: datetime | None = None
) -> Claim | IdempotencyRecord:
    """A ``Claim`` when this request is to run, or the answered record to replay."""
    now = now or timezone.now()
    for _ in range(3):  # a record may expire or be pruned between our two looks at it
        try:
            with transaction.atomic():
                return Claim(IdempotencyRecord.objects.create(
                    owner=owner, key=key, fingerprint=request_digest, locked_at=now,
                    expires_at=now + timedelta(seconds=settings.DAM_IDEMPOTENCY_TTL),
                ))  # fmt: skip
        except IntegrityError:
            pass
        found = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if found is None:
            continue
        if found.expires_at <= now:  # an expired key is a new key
            IdempotencyRecord.objects.filter(pk=found.pk, expires_at__lte=now).delete()
            continue
        return _existing(found, request_digest, now)
    raise IdempotencyInProgress(
        "A request with this Idempotency-Key is still being processed; retry shortly."
    )


def _existing(found: IdempotencyRecord, request_digest: str, now: datetime) -> Claim | IdempotencyRecord:
    if found.fingerprint != request_digest:
        raise IdempotencyConflict(
            "This Idempotency-Key was used for another request (another body or endpoint) within "
            f"the last {settings.DAM_IDEMPOTENCY_TTL // 3600} hours; send a new key for a new request."
        )
    if found.answered:
        return found
    dead = now - timedelta(seconds=settings.DAM_IDEMPOTENCY_LOCK_TIMEOUT)
    if found.locked_at <= dead and IdempotencyRecord.objects.filter(
        pk=found.pk, locked_at=found.locked_at, response_status__isnull=True
    ).update(locked_at=now):
        found.locked_at = now  # its first request died: this one runs instead
        return Claim(found)
    raise IdempotencyInProgress(
        "A request with this Idempotency-Key is still being processed; retry shortly."
    )


class IdempotentMixin:
    """``idempotent(request, make)`` runs ``make`` at most once per key (see the module)."""

    handle_exception: Callable[[Exception], Response]

    def idempotent(self, request: Request, make: Callable[[], Response]) -> HttpResponseBase:
        key = key_of(request)
        if key is None:
            return make()
        outcome = claim(owner_of(request), key, fingerprint(request))
        if isinstance(outcome, IdempotencyRecord):
            return replay(outcome)
        try:
            try:
                response = make()
            except Exception as exc:
                response = self.handle_exception(exc)  # the problem answer, kept like any other
        except BaseException:
            outcome.release()  # a bug (500) or the process stopping: a retry runs again
            raise
        outcome.keep(response)
        return response


def prune(now: datetime | None = None) -> int:
    """Delete the records past their 24 hours; returns how many."""
    deleted, _ = IdempotencyRecord.objects.expired(now or timezone.now()).delete()
    return deleted
