"""Delete Idempotency-Key records older than DAM_IDEMPOTENCY_TTL (run it from cron, hourly).
An expired key is a new key whether or not its record is still there: this only frees space."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import ngettext

from api import idempotency
from api.models import IdempotencyRecord
from dam.commands import DamCommand


class Command(DamCommand):
    help = "Delete expired Idempotency-Key records (their keys are new keys again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            count, verb = IdempotencyRecord.objects.expired(timezone.now()).count(), "Would delete"
        else:
            count, verb = idempotency.prune(), "Deleted"
        summary = ngettext("%(verb)s %(n)d expired idempotency record.",
                           "%(verb)s %(n)d expired idempotency records.", count)  # fmt: skip
        self.say(summary % {"verb": verb, "n": count})
