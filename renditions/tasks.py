"""Eager renditions: after upload, workers make the specs marked eager, through the same service
as the lazy path (``services.get_or_generate``), then mark the asset ready (or failed) and tell
the consuming app by webhook. Idempotent: a rendition already made (lazily, or by an earlier run
of this task) is found, not made again."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction

from assets import outbox
from assets.exceptions import SourceMissing
from assets.models import Asset
from dam.errors import DamError, Overloaded
from dam.tasks import backoff
from dam.unavailable import is_unavailable
from renditions import services
from renditions.models import RenditionSpec

logger = logging.getLogger(__name__)


@shared_task(bind=True)
def generate_eager(self: Any, asset_id: str) -> None:
    asset: Asset | None = None
    try:
        asset = Asset.objects.filter(pk=asset_id).first()
        if asset is None:
            return  # deleted meanwhile
        for named in RenditionSpec.objects.filter(eager=True):
            for target in services.Target.every_variant(asset, named):
                services.get_or_generate(target)
        mark(asset, Asset.Status.READY, "")
    except Overloaded as exc:
        assert asset is not None, "renders are only attempted once the asset was read"
        if not self.request.is_eager and self.request.retries < settings.DAM_TASK_MAX_RETRIES:
            raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
        return mark(asset, Asset.Status.FAILED, f"Gave up after retries: {exc.message}")
    except (DamError, SourceMissing) as exc:
        assert asset is not None, "renders are only attempted once the asset was read"
        return mark(asset, Asset.Status.FAILED, f"{exc.code}: {exc.message}")
    except Exception as exc:
        # The database (or storage) went away under the task: run it again later rather than
        # leave the asset `processing` for good. Anything else is a bug and fails loudly.
        if is_unavailable(exc) and not self.request.is_eager:
            raise self.retry(exc=exc, countdown=backoff(self.request.retries),
                             max_retries=settings.DAM_TASK_MAX_RETRIES + 3) from exc  # fmt: skip
        raise


def mark(asset: Asset, status: str, reason: str) -> None:
    """The asset's new state and its announcement (asset.ready / asset.failed) commit together."""
    asset.status, asset.failure_reason = status, reason
    with transaction.atomic():
        Asset.objects.filter(pk=asset.pk).update(status=status, failure_reason=reason)
        outbox.asset_event("asset.ready" if status == Asset.Status.READY else "asset.failed", asset)
    logger.info("asset %s is %s %s", asset.id, status, reason)


@shared_task(bind=True)
def regenerate_asset(self: Any, asset_id: str, spec_names: list[str], force: bool = False) -> None:
    """The queued form of ``regenerate_renditions``: one asset, some named specs."""
    from renditions import maintenance

    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return
    tally = maintenance.Tally()
    for target in maintenance.pairs([asset], list(RenditionSpec.objects.filter(name__in=spec_names))):
        maintenance.regenerate(target, force=force, dry_run=False, tally=tally)
    if tally.failed:
        logger.warning("regenerate_asset %s: %d failed: %s", asset_id, len(tally.failed), tally.failed)
