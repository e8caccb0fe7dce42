"""The Celery app, wired the standard Django way (``CELERY_`` settings, task autodiscovery).

Run a worker: ``celery -A dam worker -l info``. With no broker configured (the embedded
default) tasks run in-process, after the transaction that queued them commits.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")

app = Celery("dam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
