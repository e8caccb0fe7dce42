"""Delete direct uploads that expired without being completed, with their quarantined objects.

Run it from cron (every hour is plenty). A `complete` still running keeps its upload until its
claim is older than DAM_UPLOAD_COMPLETE_TIMEOUT.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import ngettext

from assets import uploads
from dam.commands import DamCommand


class Command(DamCommand):
    help = "Delete expired, never-completed direct uploads and their quarantined objects."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry = options["dry_run"]
        expired, failures = uploads.expired(), 0
        for upload in expired:
            self.say(f"  expired upload: {upload.pk} ({upload.status}, expired {upload.expires_at:%Y-%m-%d %H:%M})",
                     verbosity=2)  # fmt: skip
            if dry:
                continue
            try:
                uploads.discard(upload)
            except Exception as exc:  # report and go on: one bad object must not stop the sweep
                failures += 1
                self.stderr.write(f"  could not delete upload {upload.pk}: {exc}")
        deleted = len(expired) - failures
        summary = ngettext("%(verb)s %(n)d expired upload.", "%(verb)s %(n)d expired uploads.", deleted)
        self.say(summary % {"verb": "Would delete" if dry else "Deleted", "n": deleted})
        if failures:
            raise CommandError(
                ngettext(
                    "%(n)d upload could not be deleted.", "%(n)d uploads could not be deleted.", failures
                )
                % {"n": failures}
            )
