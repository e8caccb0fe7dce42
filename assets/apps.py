from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        # Pillow's own bomb check (warning at the limit, error at twice it) agrees with ours.
        Image.MAX_IMAGE_PIXELS = settings.DAM_MAX_IMAGE_PIXELS
        from django.core.signals import request_started

        from assets import (
            outbox,
            signals,  # noqa: F401  (connects the after-commit file deletion)
        )

        # The embedded default's webhook sender starts with the first request a process serves.
        request_started.connect(outbox.start_in_process_sender, dispatch_uid="assets.webhook_sender")
