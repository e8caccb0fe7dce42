"""Send every webhook delivery that is due now: those whose send was lost (a process killed
between the commit and the send, a broker that was down) and retries whose time has come.
Run it from cron when neither Celery beat nor a web process's in-process sender sweeps."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assets import outbox


class Command(BaseCommand):
    help = "Send the webhook deliveries that are due (lost sends and retries)."

    def handle(self, *args: Any, **options: Any) -> None:
        attempted = outbox.send_due()
        self.stdout.write(f"Attempted {attempted} webhook deliver{'y' if attempted == 1 else 'ies'}.")
