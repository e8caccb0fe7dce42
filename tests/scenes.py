"""Photo-like test pictures for the image analysis: shapes on a gradient, and edits of them."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """Overlapping shapes of many colours on a gradient: a different picture for every seed."""
    rng = random.Random(seed)
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.blend(image, Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3))), 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(24):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(width // 10, width // 2), rng.randrange(height // 10, height // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(
            (x - w // 2, y - h // 2, x + w // 2, y + h // 2), fill=colour
        )
    return image.filter(ImageFilter.GaussianBlur(2))


def encoded(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def near_copy(image: Image.Image) -> bytes:
    """What a near-duplicate looks like: half the size, 10 % brighter, recompressed at quality 60."""
    smaller = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    return encoded(ImageEnhance.Brightness(smaller).enhance(1.1), quality=60)


def subject_off_centre(size: tuple[int, int] = (800, 400), at: float = 0.8) -> Image.Image:
    """A textured, skin-toned red disc on a flat grey background, its centre at ``at`` of the width."""
    width, height = size
    image = Image.new("RGB", size, (128, 128, 128))
    draw = ImageDraw.Draw(image)
    cx, cy, r = round(width * at), height // 2, height // 5
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(215, 120, 95))
    rng = random.Random(7)
    for _ in range(60):  # texture: darker and redder spots inside the disc
        x, y = cx + rng.randrange(-r // 2, r // 2), cy + rng.randrange(-r // 2, r // 2)
        s = rng.randrange(3, r // 4)
        draw.ellipse((x - s, y - s, x + s, y + s), fill=(190, 70, 60))
    return image
