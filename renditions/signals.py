"""A rendition's file leaves storage only after its row's deletion commits."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from assets.signals import delete_file_on_commit
from dam.storage import renditions_storage
from renditions.models import Rendition


@receiver(post_delete, sender=Rendition, dispatch_uid="renditions.delete_file")
def _delete_rendition_file(sender: type[Rendition], instance: Rendition, **kwargs: Any) -> None:
    delete_file_on_commit(renditions_storage, instance.storage_name)
