"""Send every webhook delivery that is due now: those whose send was lost (a process killed
between the commit and the send, a broker that was down) and retries whose time has come.
Run it from cron (every minute) when neither Celery beat nor a web process's sender sweeps."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import ngettext

from assets import outbox
from dam.commands import DamCommand


class Command(DamCommand):
    help = "Send the webhook deliveries that are due (lost sends and retries)."

    def handle(self, *args: Any, **options: Any) -> None:
        tally = outbox.send_due()
        attempted = sum(tally.values())
        summary = ngettext(
            "Attempted %(n)d webhook delivery", "Attempted %(n)d webhook deliveries", attempted
        )
        self.say(
            f"{summary % {'n': attempted}}: {tally[outbox.Outcome.DELIVERED]} delivered, "
            f"{tally[outbox.Outcome.RETRY]} to retry, {tally[outbox.Outcome.GAVE_UP]} given up."
        )
        if errors := tally[None]:
            raise CommandError(
                ngettext("%(n)d attempt failed with an error (see the log).",
                         "%(n)d attempts failed with an error (see the log).", errors) % {"n": errors}
            )  # fmt: skip
