"""The progress bar and ``--dry-run`` of the operations commands (they live in dam.progress)."""

from dam.progress import add_dry_run, progress

__all__ = ["add_dry_run", "progress"]
