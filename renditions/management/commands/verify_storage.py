"""Report originals and renditions the database refers to that storage lacks.

A missing rendition is harmless with ``--fix`` (its row is dropped; the next request remakes it);
a missing original is not (its asset answers 410 ``source_missing``): restore it from a backup.
``--orphans`` also lists stored objects no row refers to (older than ``--grace`` seconds) and
fails when there are any; ``prune_renditions`` deletes them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import ngettext

from dam.commands import DamCommand, seconds
from renditions import maintenance
from renditions.management.commands._progress import progress
from renditions.models import Rendition


class Command(DamCommand):
    help = "Check that every original and rendition the database knows is in storage."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="Drop rows of missing renditions (they are remade on request)."
        )
        parser.add_argument("--orphans", action="store_true", help="Also fail on objects no row refers to.")
        parser.add_argument("--grace", type=seconds, default=maintenance.ORPHAN_GRACE.total_seconds(),
                            help="Orphans younger than this many seconds may be writes in flight (default 3600).")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        total = maintenance.reference_count()
        checks = progress(
            maintenance.checked(), verbosity=self.verbosity, total=total, desc="checking", unit="object"
        )
        found = [(kind, name) for kind, name, present in checks if not present]
        for kind, name in found:
            self.stdout.write(f"missing {kind}: {name}")  # the findings: printed at every verbosity
        renditions = [name for kind, name in found if kind == "rendition"]
        originals = len(found) - len(renditions)
        if options["fix"] and renditions:
            Rendition.objects.filter(storage_name__in=renditions).delete()
            dropped = ngettext("Dropped %(n)d row of a missing rendition.", "Dropped %(n)d rows of missing renditions.",
                               len(renditions))  # fmt: skip
            self.say(dropped % {"n": len(renditions)})
        self.say(f"{missing_originals(originals)}, {missing_renditions(len(renditions))}.")
        orphans = self._orphans(options["grace"]) if options["orphans"] else 0
        if originals or (renditions and not options["fix"]):
            raise CommandError("Storage lacks objects the database refers to.")
        if orphans:
            raise CommandError("Storage holds objects no row refers to (prune_renditions deletes them).")

    def _orphans(self, grace: float) -> int:
        found = [name for _, name in maintenance.orphan_objects(grace=timedelta(seconds=grace))]
        for name in found:
            self.stdout.write(f"orphan object: {name}")  # findings, like the missing ones
        self.say(ngettext("%(n)d orphan object.", "%(n)d orphan objects.", len(found)) % {"n": len(found)})
        return len(found)


def missing_originals(count: int) -> str:
    return ngettext("%(n)d missing original", "%(n)d missing originals", count) % {"n": count}


def missing_renditions(count: int) -> str:
    return ngettext("%(n)d missing rendition", "%(n)d missing renditions", count) % {"n": count}
