"""What the operations commands share (any app's): a tqdm bar on a terminal, nothing in logs and pipes."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], *, verbosity: int, total: int | None = None, desc: str = "",
             unit: str = "item") -> Iterator[T]:  # fmt: skip
    """Yields ``items``, ticking once per item: pass the units of work done (objects checked,
    renditions made), not the findings, and their ``total`` when it is known."""
    if verbosity >= 1 and sys.stderr.isatty():
        yield from tqdm(items, total=total, desc=desc, unit=f" {unit}", file=sys.stderr)
    else:
        yield from items


def add_dry_run(parser: Any) -> None:
    parser.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing.")
