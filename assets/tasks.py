"""Celery tasks of the assets app. Arguments are ids (JSON); every task is idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from assets import webhooks
from dam.tasks import backoff


@shared_task(bind=True)
def deliver_webhook(self: Any, delivery_id: str) -> None:
    try:
        webhooks.deliver(delivery_id)
    except webhooks.DeliveryFailed as exc:
        if self.request.is_eager:
            return  # embedded mode has no broker to retry later; the failure is recorded
        raise self.retry(exc=exc, countdown=backoff(self.request.retries),
                         max_retries=settings.DAM_TASK_MAX_RETRIES + 3) from exc  # fmt: skip
