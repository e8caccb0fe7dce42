"""Give the memory a large decode freed back to the operating system.

glibc keeps freed heap memory for reuse rather than returning it, so after one 100 MP decode a
long-lived worker stayed ~380 MiB larger for good (`make bench`, "still held after"), and a
validation followed by a render held both peaks. ``malloc_trim(0)`` returns the free pages at
once (~1 ms after a large decode); below TRIM_FROM_PIXELS the freed blocks are small enough for
the allocator to reuse and the call is skipped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache

logger = logging.getLogger(__name__)

# ~64 MiB of RGBA: images from here up are allocated in Pillow's 16 MiB blocks that glibc keeps.
TRIM_FROM_PIXELS = 16_000_000


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        return None


def release_after(pixels: int) -> None:
    """Call after work on an image of ``pixels`` (frames × width × height) has been freed."""
    if pixels < TRIM_FROM_PIXELS:
        return
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
