"""Make named renditions ahead of requests, or remake them.

manage.py regenerate_renditions                      # every missing rendition of every asset
manage.py regenerate_renditions --spec thumb --spec og --asset <id>
manage.py regenerate_renditions --force              # remake existing ones too
manage.py regenerate_renditions --queue              # hand the work to Celery workers
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.db.models import QuerySet
from django.utils.translation import ngettext

from assets.models import Asset
from dam.commands import DamCommand, parse_uuids
from renditions import maintenance, services
from renditions.management.commands._progress import add_dry_run, progress
from renditions.models import RenditionSpec


class Command(DamCommand):
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
        specs = self._specs(options["spec"])
        assets = self._assets(options["asset"])
        if options["queue"]:
            return self._queue(assets, specs, options)
        tally = maintenance.Tally()
        # One tick per (asset, spec): a format-auto spec makes several files, but it is one job.
        jobs = ((asset, named) for asset in assets.iterator() for named in specs)
        for asset, named in progress(jobs, verbosity=self.verbosity, total=assets.count() * len(specs),
                                     desc="renditions", unit="rendition"):  # fmt: skip
            for target in services.Target.every_variant(asset, named):
                maintenance.regenerate(
                    target, force=options["force"], dry_run=options["dry_run"], tally=tally
                )
        verb = "Would make" if options["dry_run"] else "Made"
        self.say(f"{verb} {tally.made}, already there {tally.existing}, failed {len(tally.failed)}.")
        for failure in tally.failed:
            self.stderr.write(f"  failed: {failure}")
        if tally.failed:
            raise CommandError(
                ngettext("%(n)d rendition failed.", "%(n)d renditions failed.", len(tally.failed))
                % {"n": len(tally.failed)}
            )

    def _specs(self, names: list[str]) -> list[RenditionSpec]:
        specs = list(RenditionSpec.objects.filter(name__in=names) if names else RenditionSpec.objects.all())
        if unknown := sorted(set(names) - {s.name for s in specs}):
            raise CommandError(
                ngettext("Unknown spec: %(names)s.", "Unknown specs: %(names)s.", len(unknown))
                % {"names": ", ".join(unknown)}
            )
        return specs

    def _assets(self, ids: list[str]) -> QuerySet[Asset]:
        assets = Asset.objects.all().order_by("created_at")
        if not ids:
            return assets
        wanted = set(parse_uuids(ids, option="--asset"))
        assets = assets.filter(pk__in=wanted)
        if absent := sorted(str(i) for i in wanted - set(assets.values_list("pk", flat=True))):
            raise CommandError(
                ngettext("No asset with id %(ids)s.", "No assets with ids %(ids)s.", len(absent))
                % {"ids": ", ".join(absent)}
            )
        return assets

    def _queue(self, assets: QuerySet[Asset], specs: list[RenditionSpec], options: dict[str, Any]) -> None:
        from renditions.tasks import regenerate_asset

        names = [s.name for s in specs]
        count = 0
        for asset_id in assets.values_list("pk", flat=True).iterator():
            if not options["dry_run"]:
                regenerate_asset.delay(str(asset_id), names, options["force"])
            count += 1
        verb = "Would queue" if options["dry_run"] else "Queued"
        assets_text = ngettext("%(n)d asset", "%(n)d assets", count) % {"n": count}
        specs_text = ngettext("%(n)d spec", "%(n)d specs", len(names)) % {"n": len(names)}
        self.say(f"{verb} {assets_text} × {specs_text}.")
