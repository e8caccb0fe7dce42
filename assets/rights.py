"""Rights that end: the ``asset.rights_expiring`` webhook, sent once per asset and expiry date.

``notify_expiring`` (``manage.py notify_rights_expiring``, run daily) covers assets whose rights
have ended or end within ``DAM_RIGHTS_EXPIRING_DAYS``. Each asset is claimed by a conditional
update (``rights_expiry_notified_at`` still empty, the expiry date still the one read) in the
transaction that records its webhook deliveries (the outbox): two runs at once, or a run repeated,
announce it once. Changing the expiry date clears the mark (``Asset.save``), so a new date is
announced again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from assets import outbox
from assets.models import Asset, rights_window

EVENT = "asset.rights_expiring"
BATCH = 500


def pending() -> Any:
    """Assets whose rights have ended or end within the window, not yet announced for that date."""
    today, days = rights_window()
    return Asset.objects.filter(
        rights_expire_on__lte=today + timedelta(days=days), rights_expiry_notified_at__isnull=True
    ).order_by("rights_expire_on", "pk")


def describe(asset: Asset) -> dict[str, Any]:
    return {
        "licence": asset.licence,
        "licence_detail": asset.licence_detail,
        "usage_terms": asset.usage_terms,
        "expires_on": asset.rights_expire_on.isoformat() if asset.rights_expire_on else None,
        "status": asset.rights_status.value,
    }


def notify_one(asset_id: Any, expires_on: date, *, dry_run: bool = False) -> bool:
    """Announce one asset's expiry if nobody has yet; True if this call did."""
    if dry_run:
        return Asset.objects.filter(pk=asset_id, rights_expire_on=expires_on,
                                    rights_expiry_notified_at__isnull=True).exists()  # fmt: skip
    with transaction.atomic():
        claimed = Asset.objects.filter(
            pk=asset_id, rights_expire_on=expires_on, rights_expiry_notified_at__isnull=True
        ).update(rights_expiry_notified_at=timezone.now())
        if not claimed:
            return False  # another run took it, or the date changed meanwhile
        asset = Asset.objects.prefetch_related("tags").get(pk=asset_id)
        outbox.record(EVENT, {"asset": outbox.describe_asset(asset), "rights": describe(asset)})
    return True


def candidates() -> Iterator[tuple[Any, date]]:
    """(id, expiry date) of every pending asset, read in batches by id (a run may be long)."""
    after: Any = None
    while True:
        rows = pending().order_by("pk")
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(rows.values_list("pk", "rights_expire_on")[:BATCH])
        if not batch:
            return
        yield from batch
        after = batch[-1][0]
