"""What the API itself remembers: the first answer to each ``Idempotency-Key`` (api/idempotency.py)."""

from __future__ import annotations

from datetime import datetime

from django.db import models


class IdempotencyRecordQuerySet(models.QuerySet["IdempotencyRecord"]):
    def expired(self, now: datetime) -> IdempotencyRecordQuerySet:
        return self.filter(expires_at__lte=now)


class IdempotencyRecord(models.Model):
    """One client's key: the request it was first used for (a digest), and once that request has
    been answered, the answer, replayed to every retry until ``expires_at``."""

    owner = models.CharField(max_length=64, help_text="key:<id> for an API key, user:<id> for staff.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    # While the first request runs, `response_status` is empty and `locked_at` says since when; a
    # lock older than DAM_IDEMPOTENCY_LOCK_TIMEOUT belongs to a dead process and may be taken over.
    locked_at = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The JSON body, exactly as first sent.")
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_unique_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"

    @property
    def answered(self) -> bool:
        return self.response_status is not None
