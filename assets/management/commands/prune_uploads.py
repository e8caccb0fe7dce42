"""Delete direct uploads that expired without being completed, with their quarantined objects.

Run it from cron (every hour is plenty). A `complete` still running keeps its upload until its
claim is older than DAM_UPLOAD_COMPLETE_TIMEOUT.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assets import uploads


class Command(BaseCommand):
    help = "Delete expired, never-completed direct uploads and their quarantined objects."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry, verbosity = options["dry_run"], options["verbosity"]
        expired, failures = uploads.expired(), 0
        for upload in expired:
            if verbosity >= 2:
                self.stdout.write(
                    f"  expired upload: {upload.pk} ({upload.status}, expired {upload.expires_at:%Y-%m-%d %H:%M})"
                )
            if dry:
                continue
            try:
                uploads.discard(upload)
            except Exception as exc:  # report and go on: one bad object must not stop the sweep
                failures += 1
                self.stderr.write(f"  could not delete upload {upload.pk}: {exc}")
        verb = "Would delete" if dry else "Deleted"
        self.stdout.write(f"{verb} {len(expired) - failures} expired upload(s).")
        if failures:
            raise CommandError(f"{failures} upload(s) could not be deleted.")
