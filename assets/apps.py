import warnings

from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        # Pillow's own bomb check (warning at the limit, error at twice it) agrees with ours.
        Image.MAX_IMAGE_PIXELS = settings.DAM_MAX_IMAGE_PIXELS
        # An upload's damaged EXIF is the uploader's, not an operator's concern: the metadata
        # readers note it ("exif unreadable") or skip it; Pillow's warning would reach the logs
        # once per such upload. Set once per process (warnings.catch_warnings is not thread-safe).
        warnings.filterwarnings("ignore", message="Corrupt EXIF data", category=UserWarning)
        from django.core.signals import request_started

        from assets import (
            outbox,
            signals,  # noqa: F401  (connects the after-commit file deletion)
        )

        # The embedded default's webhook sender starts with the first request a process serves.
        request_started.connect(outbox.start_in_process_sender, dispatch_uid=outbox.SENDER_RECEIVER)
