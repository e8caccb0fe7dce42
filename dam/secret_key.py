"""The embedded default's secret key: random, made on first run, kept in the var directory.

A constant key in the source would let anyone sign ad-hoc rendition URLs and forge sessions
on every embedded install. Production sets ``DAM_SECRET_KEY`` instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

FILE_NAME = "secret-key"
KEY_BYTES = 50  # ~67 characters: past `check --deploy`'s 50-character, 5-distinct-character bar


def embedded_secret_key(var_dir: Path) -> str:
    """Read the key from ``var_dir``, creating it (mode 0600) the first time."""
    path = var_dir / FILE_NAME
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    var_dir.mkdir(parents=True, exist_ok=True)
    # Written whole under a temporary name, then linked into place: two processes starting at
    # once never read half a key, and the second one adopts the first one's key.
    temporary = var_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(KEY_BYTES) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it and a new key is made on the next start")
    return key
