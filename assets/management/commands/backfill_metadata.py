"""Fill file-derived fields (the embedded metadata, ``taken_at``) of assets uploaded before dam read them.

manage.py backfill_metadata                    # every asset that lacks one, reading each original once
manage.py backfill_metadata --dry-run          # count them; read nothing, change nothing
manage.py backfill_metadata --only embedded --batch 200 --limit 1000

Restartable: a filled asset no longer lacks the field, so a run stopped half-way (or repeated)
starts where the work is. Rows are read in batches, one original at a time, each saved as soon as it is read. Editors'
fields (title, credit, tags…) are never touched: only what the file says is recorded. The fillers
are ``assets.file_facts.FILLERS``: add one there for a new file-derived field.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import ngettext

from assets import file_facts
from assets.models import Asset
from dam.commands import DamCommand
from dam.progress import add_dry_run, progress
from dam.storage import originals_storage

DEFAULT_BATCH = 100


class Command(DamCommand):
    help = "Read the embedded metadata of existing assets that lack it (restartable, batched)."

    def add_arguments(self, parser: Any) -> None:
        names = [f.name for f in file_facts.FILLERS]
        parser.add_argument("--only", action="append", default=[], choices=names,
                            help=f"Only this filler (repeatable): {', '.join(names)}.")  # fmt: skip
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                            help=f"Assets read per query (default {DEFAULT_BATCH}).")  # fmt: skip
        parser.add_argument("--limit", type=int, default=None, help="Stop after this many assets.")
        add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError(f"--batch must be 1 or more, not {options['batch']}.")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError(f"--limit must be 1 or more, not {options['limit']}.")
        fillers = file_facts.fillers_named(options["only"])
        todo = Asset.objects.filter(file_facts.lacking(fillers)).order_by("pk")
        total = todo.count() if options["limit"] is None else min(todo.count(), options["limit"])
        if options["dry_run"]:
            self.say(
                ngettext("Would read %(n)d original.", "Would read %(n)d originals.", total) % {"n": total}
            )
            return
        filled, failed = 0, []
        for asset in progress(self._batches(todo, options["batch"], total), verbosity=self.verbosity,
                              total=total, desc="metadata", unit="asset"):  # fmt: skip
            try:
                changed = self._fill(asset, fillers)
            except (OSError, BotoCoreError, ClientError) as exc:
                failed.append(f"{asset.pk}: {type(exc).__name__}: {exc}")
                continue
            if changed:
                with transaction.atomic():  # only if still lacking: a concurrent run's work is kept
                    Asset.objects.filter(file_facts.lacking(fillers), pk=asset.pk).update(
                        **{name: getattr(asset, name) for name in changed}
                    )
                filled += 1
        self.say(ngettext("Filled %(n)d asset", "Filled %(n)d assets", filled) % {"n": filled}
                 + f", {len(failed)} failed.")  # fmt: skip
        for failure in failed:
            self.stderr.write(f"  failed: {failure}")
        if failed:
            raise CommandError(
                ngettext(
                    "%(n)d original could not be read.", "%(n)d originals could not be read.", len(failed)
                )
                % {"n": len(failed)}
            )

    def _batches(self, todo: Any, size: int, total: int) -> Any:
        """Rows in primary-key order, a batch at a time (never the whole table in memory)."""
        after, seen = None, 0
        while seen < total:
            rows = todo if after is None else todo.filter(pk__gt=after)
            batch = list(rows[: min(size, total - seen)])
            if not batch:
                return
            yield from batch
            seen += len(batch)
            after = batch[-1].pk

    def _fill(self, asset: Asset, fillers: list[file_facts.Filler]) -> list[str]:
        with originals_storage().open(asset.file.name, "rb") as original:
            return file_facts.fill(asset, original, fillers)
