from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        # Pillow's own bomb check (warning at the limit, error at twice it) agrees with ours.
        Image.MAX_IMAGE_PIXELS = settings.DAM_MAX_IMAGE_PIXELS
        from assets import signals  # noqa: F401  (connects the after-commit file deletion)
