"""The benches' test pictures: photo-like (gradients, shapes and fine noise, so JPEG has real work
to do), made once and cached in bench/.cache/."""

from __future__ import annotations

from pathlib import Path


def save_photo_like(path: Path, size: tuple[int, int], fmt: str) -> None:
    from tests.images import photo_like

    path.parent.mkdir(parents=True, exist_ok=True)
    photo_like(size).save(path, fmt, **({"quality": 92} if fmt == "JPEG" else {"compress_level": 6}))
