"""Make named renditions ahead of requests, or remake them.

manage.py regenerate_renditions                      # every missing rendition of every asset
manage.py regenerate_renditions --spec thumb --spec og --asset <id>
manage.py regenerate_renditions --force              # remake existing ones too
manage.py regenerate_renditions --queue              # hand the work to Celery workers
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assets.models import Asset
from renditions import maintenance
from renditions.management.commands._progress import add_dry_run, progress
from renditions.models import RenditionSpec


class Command(BaseCommand):
    help = "Generate missing (or, with --force, all) named renditions, inline or queued."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--spec", action="append", default=[], help="Only this named spec (repeatable).")
        parser.add_argument("--asset", action="append", default=[], help="Only this asset id (repeatable).")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--missing-only", action="store_true", help="Only make what does not exist (the default)."
        )
        mode.add_argument("--force", action="store_true", help="Remake renditions that already exist.")
        parser.add_argument(
            "--queue", action="store_true", help="Queue one task per asset instead of working inline."
        )
        add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        specs = list(
            RenditionSpec.objects.filter(name__in=options["spec"])
            if options["spec"]
            else RenditionSpec.objects.all()
        )
        if unknown := set(options["spec"]) - {s.name for s in specs}:
            raise CommandError(f"Unknown spec(s): {', '.join(sorted(unknown))}")
        assets = Asset.objects.all().order_by("created_at")
        if options["asset"]:
            assets = assets.filter(pk__in=options["asset"])
            if assets.count() != len(set(options["asset"])):
                raise CommandError("Some --asset ids do not exist.")
        if options["queue"]:
            return self._queue(assets, specs, options)
        tally = maintenance.Tally()
        total = assets.count() * len(specs)
        for target in progress(maintenance.pairs(assets.iterator(), specs), verbosity=options["verbosity"],
                               total=total, desc="renditions"):  # fmt: skip
            maintenance.regenerate(target, force=options["force"], dry_run=options["dry_run"], tally=tally)
        verb = "Would make" if options["dry_run"] else "Made"
        self.stdout.write(f"{verb} {tally.made}, already there {tally.existing}, failed {len(tally.failed)}.")
        for failure in tally.failed:
            self.stderr.write(f"  failed: {failure}")
        if tally.failed:
            raise CommandError(f"{len(tally.failed)} rendition(s) failed.")

    def _queue(self, assets: Any, specs: list[RenditionSpec], options: dict[str, Any]) -> None:
        from renditions.tasks import regenerate_asset

        names = [s.name for s in specs]
        count = 0
        for asset_id in assets.values_list("pk", flat=True).iterator():
            if not options["dry_run"]:
                regenerate_asset.delay(str(asset_id), names, options["force"])
            count += 1
        self.stdout.write(
            f"{'Would queue' if options['dry_run'] else 'Queued'} {count} asset(s) × {len(names)} spec(s)."
        )
