"""The Celery app, wired the standard Django way (``CELERY_`` settings, task autodiscovery).

Run a worker: ``celery -A dam worker -l info``. With no broker configured (the embedded
default) tasks run in-process, after the transaction that queued them commits, and nothing
about a broker is touched.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.result import EagerResult, denied_join_result
from kombu import serialization

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")


class InProcessWithoutBroker(Task):
    """Runs an always-eager task without acquiring a broker producer.

    Celery ≥ 5.5 takes a producer from the broker connection pool even in eager mode, only to
    look up its serializer for the JSON round trip; with the embedded default's ``memory://``
    transport that builds a kombu connection on every upload and logs "No hostname was
    supplied. Reverting to default 'localhost'", which reads as a misconfiguration. The round
    trip stays (arguments must survive JSON, as they will with a real broker); the producer goes.
    """

    def apply_async(self, args: Any = None, kwargs: Any = None, task_id: str | None = None,
                    producer: Any = None, link: Any = None, link_error: Any = None,
                    shadow: str | None = None, **options: Any) -> Any:  # fmt: skip
        if not self._get_app().conf.task_always_eager:
            return super().apply_async(args, kwargs, task_id=task_id, producer=producer, link=link,
                                       link_error=link_error, shadow=shadow, **options)  # fmt: skip
        args, kwargs = _json_round_trip(args or (), kwargs or {}, options.get("serializer"))
        options.setdefault("ignore_result", self.ignore_result)
        with denied_join_result():
            result: EagerResult = self.apply(args, kwargs, task_id=task_id, link=link,
                                             link_error=link_error, **options)  # fmt: skip
        return result


def _json_round_trip(args: Any, kwargs: Any, serializer: str | None) -> tuple[Any, Any]:
    content_type, encoding, data = serialization.dumps((args, kwargs), serializer or app.conf.task_serializer)
    return tuple(serialization.loads(data, content_type, encoding, accept=[content_type]))


app = Celery("dam", task_cls=InProcessWithoutBroker)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
