"""The benches' test pictures: photo-like (gradients, shapes and fine noise, so JPEG has real work
to do), made once and cached in bench/.cache/."""

from __future__ import annotations

from pathlib import Path


def save_photo_like(path: Path, size: tuple[int, int], fmt: str) -> None:
    from PIL import Image, ImageDraw, ImageFilter

    path.parent.mkdir(parents=True, exist_ok=True)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(40):
        x, y = (i * 7919) % size[0], (i * 104729) % size[1]
        draw.ellipse((x, y, x + size[0] // 6, y + size[1] // 6), fill=((i * 50) % 255, (i * 90) % 255, 120))
    noise = Image.effect_noise(size, 40).convert("RGB")
    picture = Image.blend(base.filter(ImageFilter.GaussianBlur(3)), noise, 0.15)
    picture.save(path, fmt, **({"quality": 92} if fmt == "JPEG" else {"compress_level": 6}))
