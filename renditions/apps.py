from django.apps import AppConfig


class RenditionsConfig(AppConfig):
    name = "renditions"
    verbose_name = "Renditions"

    def ready(self) -> None:
        from assets import ingest, outbox, replace
        from renditions import (
            events,
            signals,  # noqa: F401  (file deletion after commit)
        )
        from renditions.signals import (
            eager_specs,
            forget_replaced_renditions,
            mark_processing_if_eager,
            queue_eager_renditions,
        )

        outbox.describe_asset = events.describe_asset  # webhooks list the renditions

        if queue_eager_renditions not in ingest.after_ingest:
            ingest.before_save.append(ingest.BeforeSave(eager_specs(), mark_processing_if_eager))
            ingest.after_ingest.append(queue_eager_renditions)
        if forget_replaced_renditions not in replace.on_replace:
            replace.on_replace.append(forget_replaced_renditions)
