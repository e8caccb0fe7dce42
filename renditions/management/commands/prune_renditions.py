"""Delete what nothing can ask for any more.

* rendition rows whose named spec was deleted or edited, or whose key moved (a new focal point);
* storage objects no row refers to, older than an hour (renditions, originals, abandoned uploads).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from renditions import maintenance
from renditions.management.commands._progress import add_dry_run, progress


class Command(BaseCommand):
    help = "Delete stale rendition rows (and their files) and unreferenced storage objects."

    def add_arguments(self, parser: Any) -> None:
        add_dry_run(parser)
        parser.add_argument("--rows-only", action="store_true", help="Do not list storage for orphans.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry, verbosity = options["dry_run"], options["verbosity"]
        rows = list(maintenance.stale_rows())
        for row in progress(rows, verbosity=verbosity, desc="stale rows"):
            if verbosity >= 2:
                self.stdout.write(f"  stale row: {row.asset_id}/{row.key} ({row.spec_name or 'ad-hoc'})")
            if not dry:
                row.delete()  # the file follows after commit
        orphans, failures = [], 0
        if not options["rows_only"]:
            orphans = list(maintenance.orphan_objects())
            for storage, name in progress(orphans, verbosity=verbosity, desc="orphans"):
                if verbosity >= 2:
                    self.stdout.write(f"  orphan object: {name}")
                if not dry:
                    try:
                        storage.delete(name)
                    except Exception as exc:  # report and go on: one bad object must not stop the sweep
                        failures += 1
                        self.stderr.write(f"  could not delete {name}: {exc}")
        verb = "Would delete" if dry else "Deleted"
        self.stdout.write(
            f"{verb} {len(rows)} stale rendition row(s) and {len(orphans) - failures} orphan object(s)."
        )
        if failures:
            raise CommandError(f"{failures} object(s) could not be deleted.")
