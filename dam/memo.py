"""Per-process memos of values that are a pure function of their key and the settings."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, ClassVar

from django.core.signals import setting_changed


class SettingsMemo:
    """A subclass is one memo: a dict per process, emptied when it reaches ``max_entries`` and
    whenever a setting changes (``setting_changed``: in tests; in production settings change only
    with a restart). For values a key always maps to, such as the URL of an immutable file."""

    max_entries: ClassVar[int] = 50_000
    _values: ClassVar[dict[Hashable, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._values = {}
        setting_changed.connect(cls.clear, dispatch_uid=f"{cls.__module__}.{cls.__qualname__}")

    @classmethod
    def remembered(cls, key: Hashable, make: Callable[..., Any], *args: Any) -> Any:
        """The value for ``key``, made by ``make(*args)`` the first time."""
        if (value := cls._values.get(key)) is None:
            if len(cls._values) >= cls.max_entries:
                cls._values.clear()
            value = cls._values[key] = make(*args)
        return value

    @classmethod
    def clear(cls, **kwargs: Any) -> None:
        cls._values.clear()
