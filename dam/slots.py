"""Back-pressure on the memory-heavy work of a process: large decodes, renders and the validation
of a large upload alike, at most ``DAM_RENDER_SLOTS`` at once.

A render of a 100 MP PNG holds about a gigabyte while it runs, and so does the full decode that
validates such an upload. Renders always took a slot; an upload did not, so a handful of small
files that decode to hundreds of megabytes each, sent at once, could take a worker past its memory
whatever the render slots said. Both now share one bound: what a process can hold at once is
``DAM_RENDER_SLOTS`` × the largest decode (README: sizing), not the number of threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from dam.errors import Overloaded

__all__ = ["DecodeSlots"]


class DecodeSlots:
    """At most ``DAM_RENDER_SLOTS`` heavy decodes in flight in this process."""

    _lock = threading.Lock()
    _semaphore: threading.BoundedSemaphore | None = None
    _size = 0

    @classmethod
    def semaphore(cls) -> threading.BoundedSemaphore:
        with cls._lock:
            if cls._semaphore is None or cls._size != settings.DAM_RENDER_SLOTS:
                cls._size = settings.DAM_RENDER_SLOTS
                cls._semaphore = threading.BoundedSemaphore(cls._size)
            return cls._semaphore

    @classmethod
    @contextmanager
    def held(cls, wait_seconds: float, busy: str) -> Iterator[None]:
        """A slot for the block, waited for up to ``wait_seconds``; else ``Overloaded(busy)``
        (503 with ``Retry-After``)."""
        slots = cls.semaphore()
        if not slots.acquire(timeout=max(0.0, wait_seconds)):
            raise Overloaded(busy)
        try:
            yield
        finally:
            slots.release()
