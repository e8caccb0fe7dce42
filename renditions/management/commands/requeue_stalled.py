"""Queue again the eager renditions of assets stuck in ``processing``: their task was lost (a
broker restart, a worker node gone) or never queued (the broker was down when the upload
committed). Celery beat does this every DAM_EAGER_SWEEP_SECONDS; run it from cron where no beat
runs, or by hand. Without a broker the renditions are made here, in this process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import ngettext

from dam.commands import DamCommand, seconds
from dam.unavailable import is_unavailable
from renditions.tasks import requeue_stalled


class Command(DamCommand):
    help = "Queue again the eager renditions of assets that have been processing for too long."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=seconds, metavar="SECONDS", default=None,
            help="Processing for longer than this since its task was queued or started "
                 "(default: DAM_EAGER_STALL_SECONDS).",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        older_than = options["older_than"]
        older_than = settings.DAM_EAGER_STALL_SECONDS if older_than is None else older_than
        try:
            queued = requeue_stalled(timedelta(seconds=older_than))
        except Exception as exc:
            if is_unavailable(exc):
                raise CommandError(f"The broker is unavailable ({type(exc).__name__}); try again.") from exc
            raise
        if not queued:
            self.say("No asset is stalled.")
            return
        self.say(ngettext("Queued %(n)d stalled asset again.", "Queued %(n)d stalled assets again.", queued)
                 % {"n": queued})  # fmt: skip
