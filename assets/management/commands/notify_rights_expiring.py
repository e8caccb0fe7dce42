"""Send ``asset.rights_expiring`` for assets whose rights have ended or end soon. Run it daily.

manage.py notify_rights_expiring             # announce each such asset once (per expiry date)
manage.py notify_rights_expiring --dry-run   # list them; send nothing

Idempotent: a second run (or two at once) announces nothing twice. The webhook goes through the
outbox, so it is sent (and retried) like every other event.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext

from assets import rights
from dam.commands import DamCommand
from dam.progress import add_dry_run, progress


class Command(DamCommand):
    help = (
        "Send the asset.rights_expiring webhook for assets whose rights end soon or have ended (run daily)."
    )

    def add_arguments(self, parser: Any) -> None:
        add_dry_run(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        total = rights.pending().count()
        sent = 0
        for asset_id, expires_on in progress(rights.candidates(), verbosity=self.verbosity, total=total,
                                             desc="rights", unit="asset"):  # fmt: skip
            if rights.notify_one(asset_id, expires_on, dry_run=dry_run):
                sent += 1
                self.say(f"{asset_id}: rights end on {expires_on.isoformat()}", verbosity=2)
        if dry_run:
            message = ngettext("Would announce %(n)d asset.", "Would announce %(n)d assets.", sent)
        else:
            message = ngettext("Announced %(n)d asset.", "Announced %(n)d assets.", sent)
        self.say(message % {"n": sent})
