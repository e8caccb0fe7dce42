"""Shared task helpers: capped exponential backoff with jitter."""

from __future__ import annotations

import random


def backoff(retries: int, *, base: float = 5.0, cap: float = 600.0) -> float:
    """Seconds before retry number ``retries + 1``: 5, 10, 20, … up to ``cap``, ±20 %."""
    return min(cap, base * 2**retries) * random.uniform(0.8, 1.2)
