"""A rendition's file leaves storage only after its row's deletion commits."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from assets.models import Asset
from assets.signals import delete_file_on_commit
from dam.storage import renditions_storage
from dam.unavailable import is_unavailable
from renditions.models import Rendition, RenditionSpec
from renditions.services import HitCache

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=Rendition, dispatch_uid="renditions.delete_file")
def _delete_rendition_file(sender: type[Rendition], instance: Rendition, **kwargs: Any) -> None:
    delete_file_on_commit(renditions_storage, instance.storage_name)
    # This process's memo of hits forgets it at once: its URLs (an old key, after a replaced
    # original) reach the database again and are redirected, rather than served a deleted file.
    HitCache.forget(instance.storage_name)


def eager_specs() -> QuerySet[RenditionSpec]:
    return RenditionSpec.objects.filter(eager=True)


def mark_processing_if_eager(asset: Asset, eager_specs_exist: bool) -> None:
    if eager_specs_exist:
        asset.status = Asset.Status.PROCESSING
        asset.processing_since = timezone.now()


def queue_eager_renditions(asset: Asset) -> None:
    """Runs after the asset's row commits: a worker (or, without a broker, this process) makes
    the eager renditions and then announces ``asset.ready``. With no eager spec the asset is
    ready already (``mark_processing_if_eager`` left it so): it is announced here, with no task
    (a broker round trip, and a worker reading the asset back, for nothing to render)."""
    from assets import outbox
    from renditions.tasks import generate_eager

    if asset.status == Asset.Status.READY:
        outbox.asset_event("asset.ready", asset)  # one query when nobody listens
        logger.info("asset %s is ready (no eager spec)", asset.id)
        return
    try:
        generate_eager.delay(str(asset.id))
    except Exception as exc:
        # The broker stayed down through the publish retries. The row is committed: the request
        # answers as it would have, and the stalled-asset sweep queues the task later.
        if not is_unavailable(exc):
            raise
        logger.warning("asset %s: eager renditions not queued (broker unavailable); the sweep will queue them",
                       asset.id)  # fmt: skip


def forget_replaced_renditions(asset: Asset, previous_checksum: str) -> None:
    """After a file replacement (inside its transaction): the old renditions' rows go (their files
    leave storage after the commit; their URLs now redirect to the new ones), and the consuming
    app is told by an ``asset.updated`` webhook with the new URLs (written in that transaction)."""
    from assets import outbox
    from renditions.events import describe_asset

    for row in Rendition.objects.filter(asset=asset).exclude(key__in=_current_keys(asset)):
        row.delete()
    payload = {**describe_asset(asset), "previous_checksum": previous_checksum, "change": "file"}
    outbox.record("asset.updated", {"asset": payload})


def _current_keys(asset: Asset) -> list[str]:
    """Rows that still match the asset's file (a restore of identical bytes keeps them)."""
    from renditions.services import url_key

    return [
        row.key for row in Rendition.objects.filter(asset=asset).only("key", "spec_string")
        if row.key.startswith(url_key(asset, row.spec_string))
    ]  # fmt: skip
