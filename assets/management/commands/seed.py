"""`make run`'s seed: a local admin login and a few sample images, on the embedded default only."""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import ngettext
from PIL import Image, ImageDraw

from assets.ingest import AssetFields, ingest
from assets.models import Asset
from dam.commands import DamCommand

SAMPLES = [
    ("Sunrise gradient", (255, 120, 0), (40, 0, 90), (1600, 1067)),
    ("Sea and sky", (0, 90, 160), (220, 240, 255), (1200, 1600)),
    ("Forest", (10, 80, 30), (160, 200, 90), (2000, 1000)),
]


class Command(DamCommand):
    help = "Create the local admin account (embedded default only) and a few sample images."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-samples", action="store_true", help="Do not add sample images.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DAM_EMBEDDED:
            raise CommandError("seed only runs on the embedded default (no DATABASE_URL, local files).")
        self._admin()
        if not options["no_samples"] and not Asset.objects.exists():
            for title, top, bottom, size in SAMPLES:
                ingest(
                    io.BytesIO(_gradient(top, bottom, size)),
                    filename=f"{title}.jpg",
                    fields=AssetFields(title=title, alt_text=title, tags=["sample"]),
                )
            count = len(SAMPLES)
            self.say(
                ngettext("Added %(n)d sample image.", "Added %(n)d sample images.", count) % {"n": count}
            )

    def _admin(self) -> None:
        login_file = Path(settings.VAR_DIR) / "admin-login.txt"
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            user_model.objects.create_superuser("admin", "admin@localhost", password)
            login_file.parent.mkdir(parents=True, exist_ok=True)
            login_file.write_text(f"admin\n{password}\n")
            login_file.chmod(0o600)
        if login_file.exists():
            user, password = login_file.read_text().split()[:2]
            self.say(self.style.SUCCESS(f"Admin login: {user} / {password}  (saved in {login_file})"))


def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    mask = Image.linear_gradient("L").resize(size)
    image = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)
    ImageDraw.Draw(image).ellipse(
        (size[0] // 3, size[1] // 4, size[0] // 2, size[1] // 2), fill=(255, 240, 200)
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
