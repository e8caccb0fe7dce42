from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST surface for other applications. It uses ``assets`` and ``renditions``; neither uses it."""

    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from api import schema  # noqa: F401  (registers the OpenAPI auth extensions)
