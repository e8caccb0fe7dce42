"""Celery tasks of the assets app: the webhook senders when a broker exists (assets/outbox.py).
Arguments are ids (JSON); every task is idempotent: a row is taken by one sender at a time and
never sent again once delivered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from assets import outbox
from dam.tasks import backoff
from dam.unavailable import is_unavailable


@shared_task(bind=True)
def deliver_webhook(self: Any, delivery_id: str) -> None:
    try:
        result, retry_at = outbox.attempt(delivery_id)
    except Exception as exc:
        if is_unavailable(exc):  # the database away: the row is still due; try again shortly
            raise self.retry(exc=exc, countdown=backoff(self.request.retries),
                             max_retries=settings.DAM_TASK_MAX_RETRIES) from exc  # fmt: skip
        raise
    if result is outbox.Outcome.RETRY:
        deliver_webhook.apply_async((delivery_id,), eta=retry_at)


@shared_task
def sweep_webhooks() -> None:
    """Celery beat, every DAM_WEBHOOK_SWEEP_SECONDS: queue the rows whose hand-off was lost (due
    for longer than a sweep: their own task would have run by then)."""
    for delivery_id in outbox.lost(timedelta(seconds=settings.DAM_WEBHOOK_SWEEP_SECONDS)):
        deliver_webhook.delay(delivery_id)


@shared_task
def prune_expired_uploads() -> None:
    """Celery beat, every DAM_UPLOAD_PRUNE_SECONDS: ``manage.py prune_uploads`` (expired, never
    completed direct uploads and their quarantined objects), so no cron is needed where beat runs."""
    from django.core.management import call_command

    call_command("prune_uploads", verbosity=0)
