"""Storage aliases that follow ``settings.STORAGES`` even after it changes.

A ``FileField(storage=callable)`` calls its callable once, at import. Handing it a lazy proxy
instead of the backend itself means a test's ``override_settings(STORAGES=…)`` (filesystem in one
test, S3 through moto in the next) reaches the model field too.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.utils.functional import LazyObject, empty


class AliasedStorage(LazyObject):
    def __init__(self, alias: str) -> None:
        self.__dict__["_alias"] = alias
        super().__init__()

    def _setup(self) -> None:
        self._wrapped: Any = storages[self.__dict__["_alias"]]

    def reset(self) -> None:
        self._wrapped = empty


originals = AliasedStorage("originals")
renditions = AliasedStorage("renditions")
uploads = AliasedStorage("uploads")


def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        originals.reset()
        renditions.reset()
        uploads.reset()


setting_changed.connect(_reset, dispatch_uid="dam.storage.reset")


def originals_storage() -> Storage:
    return originals  # type: ignore[return-value]


def renditions_storage() -> Storage:
    return renditions  # type: ignore[return-value]


def uploads_storage() -> Storage:
    return uploads  # type: ignore[return-value]
