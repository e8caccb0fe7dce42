from django.apps import AppConfig


class RenditionsConfig(AppConfig):
    name = "renditions"
    verbose_name = "Renditions"

    def ready(self) -> None:
        from renditions import signals  # noqa: F401  (file deletion after commit)
