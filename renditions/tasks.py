"""Eager renditions: after upload, workers make the specs marked eager, through the same service
as the lazy path (``services.get_or_generate``), then mark the asset ready (or failed) and tell
the consuming app by webhook. Idempotent: a rendition already made (lazily, or by an earlier run
of this task) is found, not made again."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

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
        # Started: the sweep leaves a running task alone for DAM_EAGER_STALL_SECONDS. An asset no
        # longer processing (deleted, or made ready by a copy of this task the sweep queued while
        # this one was lost in a queue) has nothing left to do.
        if not Asset.objects.filter(pk=asset_id, status=Asset.Status.PROCESSING).update(
            processing_since=timezone.now()
        ):
            return
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
    """The asset's new state and its announcement (asset.ready / asset.failed) commit together,
    once: only the task that moves the asset out of ``processing`` announces it (two copies of the
    task can run when the sweep re-queued one that was only slow)."""
    asset.status, asset.failure_reason = status, reason
    with transaction.atomic():
        moved = Asset.objects.filter(pk=asset.pk, status=Asset.Status.PROCESSING).update(
            status=status, failure_reason=reason, processing_since=None
        )
        if not moved:
            return
        outbox.asset_event("asset.ready" if status == Asset.Status.READY else "asset.failed", asset)
    logger.info("asset %s is %s %s", asset.id, status, reason)


def stalled(older_than: timedelta) -> list[str]:
    """Assets still processing whose eager task was last queued or started before ``older_than``
    ago: its task was lost (a broker restart, a worker node gone) or never queued (the broker was
    down when the upload committed)."""
    cutoff = timezone.now() - older_than
    rows = Asset.objects.filter(status=Asset.Status.PROCESSING).filter(
        Q(processing_since__lt=cutoff) | Q(processing_since__isnull=True, updated_at__lt=cutoff)
    )
    return [str(pk) for pk in rows.order_by("created_at").values_list("pk", flat=True)[:STALLED_BATCH]]


STALLED_BATCH = 500  # assets a sweep re-queues at a time; the next sweep takes the rest


def requeue_stalled(older_than: timedelta) -> int:
    """Queue the eager task again for each stalled asset (its clock restarts, so one sweep queues
    it once). Returns how many were queued. A broker failure raises: the asset it stopped at is
    stalled again after DAM_EAGER_STALL_SECONDS, the others at the next sweep."""
    queued = 0
    for asset_id in stalled(older_than):
        Asset.objects.filter(pk=asset_id, status=Asset.Status.PROCESSING).update(
            processing_since=timezone.now()
        )
        generate_eager.delay(asset_id)
        logger.warning("asset %s was still processing after %ds: its eager renditions are queued again",
                       asset_id, older_than.total_seconds())  # fmt: skip
        queued += 1
    return queued


@shared_task
def sweep_stalled_assets() -> None:
    """Celery beat, every DAM_EAGER_SWEEP_SECONDS: re-queue stalled assets' eager renditions."""
    requeue_stalled(timedelta(seconds=settings.DAM_EAGER_STALL_SECONDS))


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
