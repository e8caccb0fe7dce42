"""Report originals and renditions the database refers to that storage lacks.

A missing rendition is harmless with ``--fix`` (its row is dropped; the next request remakes it);
a missing original is not (its asset answers 410 ``source_missing``): restore it from a backup.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from renditions import maintenance
from renditions.management.commands._progress import progress
from renditions.models import Rendition


class Command(BaseCommand):
    help = "Check that every original and rendition the database knows is in storage."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="Drop rows of missing renditions (they are remade on request)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        found = list(progress(maintenance.missing(), verbosity=options["verbosity"], desc="checking"))
        for kind, name in found:
            self.stdout.write(f"missing {kind}: {name}")
        renditions = [name for kind, name in found if kind == "rendition"]
        originals = len(found) - len(renditions)
        if options["fix"] and renditions:
            Rendition.objects.filter(storage_name__in=renditions).delete()
            self.stdout.write(f"Dropped {len(renditions)} row(s) of missing renditions.")
        self.stdout.write(f"{originals} missing original(s), {len(renditions)} missing rendition(s).")
        if originals or (renditions and not options["fix"]):
            raise CommandError("Storage lacks objects the database refers to.")
