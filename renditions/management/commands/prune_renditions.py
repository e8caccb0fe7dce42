"""Delete what nothing can ask for any more.

* rendition rows whose named spec was deleted or edited, or whose key moved (a new focal point);
* storage objects no row refers to, older than an hour (renditions, originals, abandoned uploads).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import ngettext

from dam.commands import DamCommand
from renditions import maintenance
from renditions.management.commands._progress import add_dry_run, progress


class Command(DamCommand):
    help = "Delete stale rendition rows (and their files) and unreferenced storage objects."

    def add_arguments(self, parser: Any) -> None:
        add_dry_run(parser)
        parser.add_argument("--rows-only", action="store_true", help="Do not list storage for orphans.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry = options["dry_run"]
        rows = list(maintenance.stale_rows())
        for row in progress(rows, verbosity=self.verbosity, total=len(rows), desc="stale rows", unit="row"):
            self.say(f"  stale row: {row.asset_id}/{row.key} ({row.spec_name or 'ad-hoc'})", verbosity=2)
            if not dry:
                row.delete()  # the file follows after commit
        orphans, failures = [], 0
        if not options["rows_only"]:
            orphans = list(maintenance.orphan_objects())
            for storage, name in progress(orphans, verbosity=self.verbosity, total=len(orphans),
                                          desc="orphans", unit="object"):  # fmt: skip
                self.say(f"  orphan object: {name}", verbosity=2)
                if not dry:
                    try:
                        storage.delete(name)
                    except Exception as exc:  # report and go on: one bad object must not stop the sweep
                        failures += 1
                        self.stderr.write(f"  could not delete {name}: {exc}")
        deleted = len(orphans) - failures
        summary = ngettext(
            "%(verb)s %(rows)d stale rendition row", "%(verb)s %(rows)d stale rendition rows", len(rows)
        ) + ngettext(" and %(objects)d orphan object.", " and %(objects)d orphan objects.", deleted)
        self.say(
            summary % {"verb": "Would delete" if dry else "Deleted", "rows": len(rows), "objects": deleted}
        )
        if failures:
            raise CommandError(
                ngettext(
                    "%(n)d object could not be deleted.", "%(n)d objects could not be deleted.", failures
                )
                % {"n": failures}
            )
