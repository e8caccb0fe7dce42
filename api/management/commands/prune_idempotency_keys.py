"""Delete Idempotency-Key records older than DAM_IDEMPOTENCY_TTL (run it from cron, hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from api import idempotency


class Command(BaseCommand):
    help = "Delete expired Idempotency-Key records (their keys are new keys again)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = idempotency.prune()
        self.stdout.write(f"Deleted {deleted} expired idempotency record(s).")
