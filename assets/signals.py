"""Files leave storage only after the row's deletion commits (a rollback keeps both); the
deletion is announced (asset.deleted) in the same transaction."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from assets import outbox
from assets.models import Asset, AssetVersion
from dam.storage import originals_storage

logger = logging.getLogger(__name__)


def delete_file_on_commit(storage_alias_getter: Any, name: str) -> None:
    def _delete() -> None:
        try:
            storage_alias_getter().delete(name)
        except Exception:  # storage down: the object becomes an orphan for prune_renditions
            logger.exception("could not delete %s from storage", name)

    if name:
        transaction.on_commit(_delete)


@receiver(post_delete, sender=Asset, dispatch_uid="assets.delete_original")
def _delete_original(sender: type[Asset], instance: Asset, **kwargs: Any) -> None:
    delete_file_on_commit(originals_storage, instance.file.name)
    # In the deletion's own transaction (Django deletes in one): announced if and only if deleted.
    outbox.record("asset.deleted", {"asset": {"id": str(instance.pk)}})


@receiver(post_delete, sender=AssetVersion, dispatch_uid="assets.delete_version_file")
def _delete_version_file(sender: type[AssetVersion], instance: AssetVersion, **kwargs: Any) -> None:
    delete_file_on_commit(originals_storage, instance.file.name)
