"""Webhooks as a transactional outbox: written with the change, sent after it, retried until done.

* ``record`` writes one ``WebhookDelivery`` row per subscribed endpoint in the caller's
  transaction: a change and its announcement commit together, or neither does.
* After the commit the rows are handed to a sender; nothing is sent from inside a request. With a
  broker: one Celery task per row (``assets.tasks.deliver_webhook``, named, not imported: the task
  module imports this one). In the embedded default: this process's ``InProcessSender`` thread.
* A sender ``attempt``s a row: it takes it (``locked_until``, so one sender at a time), sends it
  (``assets.webhooks.deliver``), and records what follows: delivered; or the next attempt, after a
  backoff (DAM_WEBHOOK_BACKOFF_SECONDS doubling to 10 minutes); or, after DAM_WEBHOOK_MAX_ATTEMPTS,
  given up. A retry keeps the delivery's id (``X-Dam-Delivery``), so receivers can deduplicate.
* A row whose hand-off was lost (the process killed between the commit and the send, a broker
  that refused the task, a sender killed mid-attempt, whose lease then runs out) is still due:
  a sweep finds it: the in-process sender's loop, Celery beat's ``sweep_webhooks``, or
  ``manage.py send_webhooks`` from cron.
"""

from __future__ import annotations

import enum
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_started
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from assets import egress, webhooks
from assets.models import Asset, WebhookDelivery, WebhookEndpoint
from dam.celery import app as celery_app
from dam.tasks import backoff

logger = logging.getLogger(__name__)

TASK = "assets.tasks.deliver_webhook"
# A task's countdown may fire a little early by the worker's clock; it was scheduled for the
# attempt, so it may take it.
DUE_SLACK = timedelta(seconds=2)
# A send lasts at most egress.ATTEMPT_TIMEOUTS timeouts (connect, reply headers, reply excerpt);
# a sender holds the row one timeout longer, then a sweep may take it (its sender died mid-attempt).
LEASE_TIMEOUTS = egress.ATTEMPT_TIMEOUTS + 1
BATCH = 100  # rows a sweep reads at a time
BACKOFF_CAP_SECONDS = 600.0  # retries are spaced at most 10 minutes apart


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # failed; the next attempt is scheduled
    GAVE_UP = "gave_up"  # failed for the last time
    SKIPPED = "skipped"  # not due, held by another sender, already delivered, or gone


# --- writing: in the caller's transaction ------------------------------------------------------


def _minimal_description(asset: Asset) -> dict[str, Any]:
    return {"id": str(asset.id)}


# What an event says about an asset. The renditions app installs a richer one (with the rendition
# URLs) at start-up: assets does not import renditions.
describe_asset: Callable[[Asset], dict[str, Any]] = _minimal_description


# Inside ``endpoints_read_once``: the active endpoints, once read (a list in a box: None until then).
_read_once: ContextVar[list[list[WebhookEndpoint] | None] | None] = ContextVar(
    "webhook_endpoints", default=None
)


@contextmanager
def endpoints_read_once() -> Iterator[None]:
    """Within it, the active endpoints are read from the database once, when first asked: an
    ingest asks whether anyone wants ``asset.created`` before its row is written and then
    announces ``asset.ready``. Around one operation only: the next one sees an endpoint added
    meanwhile."""
    token = _read_once.set([None])
    try:
        yield
    finally:
        _read_once.reset(token)


def active_endpoints() -> list[WebhookEndpoint]:
    box = _read_once.get()
    if box is not None and box[0] is not None:
        return box[0]
    endpoints = list(WebhookEndpoint.objects.filter(active=True))
    if box is not None:
        box[0] = endpoints
    return endpoints


def subscribers(event: str) -> list[WebhookEndpoint]:
    return [e for e in active_endpoints() if e.wants(event)]


def wants(event: str) -> bool:
    """Whether any active endpoint subscribes to ``event``."""
    return bool(subscribers(event))


def asset_event(event: str, asset: Asset) -> list[WebhookDelivery]:
    endpoints = subscribers(event)
    if not endpoints:
        return []  # nobody listens: describe nothing (the description costs queries: renditions, tags)
    return record(event, {"asset": describe_asset(asset)}, endpoints=endpoints)


def assets_updated(asset_ids: Iterable[Any]) -> None:
    """``asset.updated`` for each of these assets as it is now: a bulk edit, in its transaction."""
    if not wants("asset.updated"):
        return  # nobody listens: describe nothing
    for asset in Asset.objects.filter(pk__in=list(asset_ids)).prefetch_related("tags"):
        asset_event("asset.updated", asset)


def record(
    event: str, data: dict[str, Any], *, endpoints: Iterable[WebhookEndpoint] | None = None
) -> list[WebhookDelivery]:
    """Write the deliveries of ``event`` (to every active endpoint that wants it, or to
    ``endpoints``) in the current transaction; they are handed to a sender once it commits."""
    now = timezone.now()
    if endpoints is None:
        endpoints = subscribers(event)
    rows = [_row(endpoint, event, data, now) for endpoint in endpoints]
    if rows:
        WebhookDelivery.objects.bulk_create(rows)
        ids = [str(row.id) for row in rows]
        transaction.on_commit(lambda: hand_off(ids))
    return rows


def _row(endpoint: WebhookEndpoint, event: str, data: dict[str, Any], now: datetime) -> WebhookDelivery:
    row = WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now)
    envelope = {"id": str(row.id), "event": event, "created_at": now, "data": data}
    row.payload = json.loads(json.dumps(envelope, cls=DjangoJSONEncoder))
    return row


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery (a new id) of the same event and data to the same endpoint."""
    with transaction.atomic():
        (row,) = record(delivery.event, delivery.payload.get("data", {}), endpoints=[delivery.endpoint])
    return row


# --- handing off: after the commit -------------------------------------------------------------


def broker_configured() -> bool:
    return not celery_app.conf.task_always_eager


def hand_off(ids: list[str]) -> None:
    """Never raises: a row that cannot be handed off now is still due, and a sweep sends it."""
    if not broker_configured():
        InProcessSender.wake()
        return
    for delivery_id in ids:
        try:
            celery_app.send_task(TASK, args=[delivery_id])
        except Exception:  # the broker is down: the request that made the change must not fail
            logger.warning("webhook delivery %s not queued (broker unavailable); the sweep will send it",
                           delivery_id, exc_info=True)  # fmt: skip


# --- sending: by a sender ---------------------------------------------------------------------


def attempt(delivery_id: str) -> tuple[Outcome, datetime | None]:
    """Take the row if it is due and free, send it, record what follows. Returns the outcome and,
    for ``RETRY``, when the next attempt is due."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DAM_WEBHOOK_TIMEOUT * LEASE_TIMEOUTS)
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    # Every condition on the row itself, none through a join: a join makes Django's UPDATE a
    # `WHERE id IN (SELECT …)`, which PostgreSQL does not re-check against the row a concurrent
    # sender just took, and both would send it.
    active = WebhookEndpoint.objects.filter(active=True).values("pk")
    taken = WebhookDelivery.objects.filter(
        free,
        pk=delivery_id,
        delivered_at__isnull=True,
        endpoint__in=active,
        next_attempt_at__lte=now + DUE_SLACK,
    ).update(locked_until=lease, last_attempt_at=now)
    if not taken:
        return Outcome.SKIPPED, None
    try:
        webhooks.deliver(delivery_id)
    except webhooks.DeliveryFailed:
        return _failed(delivery_id, lease)
    _held(delivery_id, lease).update(next_attempt_at=None, locked_until=None)
    return Outcome.DELIVERED, None


def _failed(delivery_id: str, lease: datetime) -> tuple[Outcome, datetime | None]:
    attempts = WebhookDelivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first() or 0
    if attempts >= settings.DAM_WEBHOOK_MAX_ATTEMPTS:
        _held(delivery_id, lease).update(next_attempt_at=None, locked_until=None)
        logger.warning("webhook delivery %s given up after %d attempts", delivery_id, attempts)
        return Outcome.GAVE_UP, None
    delay = backoff(attempts - 1, base=settings.DAM_WEBHOOK_BACKOFF_SECONDS, cap=BACKOFF_CAP_SECONDS)
    retry_at = timezone.now() + timedelta(seconds=delay)
    _held(delivery_id, lease).update(next_attempt_at=retry_at, locked_until=None)
    return Outcome.RETRY, retry_at


def _held(delivery_id: str, lease: datetime) -> Any:
    # Only while the lease is ours: a sender that outlived it may have lost the row to a sweep.
    return WebhookDelivery.objects.filter(pk=delivery_id, locked_until=lease)


def send_due(*, overdue: timedelta = timedelta(0)) -> Counter[Outcome | None]:
    """Attempt every row due (for longer than ``overdue``), oldest first. Counts the outcomes;
    ``None`` counts attempts that raised (not the endpoint's answer: a bug, the database)."""
    tally: Counter[Outcome | None] = Counter()
    tried: set[str] = set()
    while ids := [i for i in lost(overdue) if i not in tried]:  # a row that keeps failing is tried once
        for delivery_id in ids:
            tried.add(delivery_id)
            try:
                tally[attempt(delivery_id)[0]] += 1
            except Exception:  # its lease runs out, and a later sweep tries again
                logger.exception("webhook delivery %s: attempt failed", delivery_id)
                tally[None] += 1
    return tally


def seconds_until_next() -> float | None:
    """When the earliest scheduled attempt is due (0 if one is due now), or None if none is."""
    first = (
        WebhookDelivery.objects.filter(next_attempt_at__isnull=False, endpoint__active=True)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return None if first is None else max(0.0, (first - timezone.now()).total_seconds())


def lost(overdue: timedelta) -> list[str]:
    """Rows due for longer than ``overdue``: their hand-off (or their sender) was lost."""
    rows = WebhookDelivery.objects.due(timezone.now() - overdue).order_by("next_attempt_at")
    return [str(pk) for pk in rows.values_list("pk", flat=True)[:BATCH]]


class InProcessSender:
    """The embedded default's sender: one daemon thread per process, started lazily (at the first
    request this process serves, or the first event it records), woken after each commit that
    wrote deliveries, and otherwise asleep until the next retry is due or the next sweep
    (DAM_WEBHOOK_SWEEP_SECONDS). Several processes may each run one: a row is taken by one."""

    _lock = threading.Lock()
    _thread: threading.Thread | None = None
    _wake = threading.Event()
    _stopping = threading.Event()

    @classmethod
    def wake(cls) -> None:
        cls.start()
        cls._wake.set()

    @classmethod
    def start(cls) -> None:
        with cls._lock:
            # is_alive() is False in a forked child (gunicorn --preload): it starts its own.
            if cls._thread is None or not cls._thread.is_alive():
                cls._stopping.clear()
                cls._thread = threading.Thread(target=cls._run, name="dam-webhook-sender", daemon=True)
                cls._thread.start()

    @classmethod
    def stop(cls, timeout: float = 30.0) -> None:
        with cls._lock:
            thread, cls._thread = cls._thread, None
        if thread is not None:
            cls._stopping.set()
            cls._wake.set()
            thread.join(timeout)

    @classmethod
    def running(cls) -> bool:
        return cls._thread is not None and cls._thread.is_alive()

    @classmethod
    def _run(cls) -> None:
        while not cls._stopping.is_set():
            cls._wake.clear()
            wait = settings.DAM_WEBHOOK_SWEEP_SECONDS
            try:
                send_due()
                if (due_in := seconds_until_next()) is not None:
                    wait = min(wait, due_in)
            except Exception:  # the database away for a moment: try again at the next sweep
                logger.exception("webhook sender: sweep failed")
            finally:
                connections.close_all()  # this thread's connections only; none held while asleep
            cls._wake.wait(wait)


SENDER_RECEIVER = "assets.webhook_sender"


def start_in_process_sender(**kwargs: Any) -> None:
    """``request_started`` receiver: after a restart, deliveries a killed process left behind
    are sent without waiting for the next event. Its work is once per process, so it disconnects
    itself: the requests after the first pay nothing (with a broker, reading Celery's
    configuration on every request cost a warm hit about 5 %). A sender that stops later is
    started again by the next event (``InProcessSender.wake``)."""
    request_started.disconnect(dispatch_uid=SENDER_RECEIVER)
    if not broker_configured():
        InProcessSender.start()
