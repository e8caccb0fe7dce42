"""Webhooks: the signature, and one attempt to send a delivery (assets/outbox.py decides when).

Signature (Stripe's scheme, documented for Ruby in docs/api.md):

    X-Dam-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

For a while after the secret is rotated a second ``v1=`` (the old secret's) follows the first.
Receivers check the HMAC with a constant-time compare and reject timestamps older than a few
minutes (replays). ``X-Dam-Event`` names the event, ``X-Dam-Delivery`` is unique per delivery
(deduplicate on it: a retried delivery keeps its id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone

from assets import egress
from assets.models import WebhookDelivery

logger = logging.getLogger(__name__)


def sign(secrets: str | Sequence[str], timestamp: int, body: bytes) -> str:
    """The X-Dam-Signature header: one ``v1=`` per secret (two while a rotated-out secret still
    signs); a receiver accepts the delivery when any of them matches its secret."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    message = f"{timestamp}.".encode() + body
    digests = [hmac.new(key.encode(), message, hashlib.sha256).hexdigest() for key in keys]
    return ",".join([f"t={timestamp}", *(f"v1={digest}" for digest in digests)])


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: int = 300) -> bool:
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    try:
        timestamp = int(next(value for name, value in parts if name == "t"))
    except (StopIteration, ValueError):
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    candidates = [value for name, value in parts if name == "v1"]
    matched = any(hmac.compare_digest(expected, candidate) for candidate in candidates)
    return abs(now - timestamp) <= tolerance and matched


class DeliveryFailed(Exception):
    """The endpoint did not answer 2xx (or could not be reached); the outbox schedules a retry."""


def deliver(delivery_id: str) -> WebhookDelivery:
    """Send one delivery. Only a 2xx reply counts; a redirect is a failure, never followed.

    The endpoint's URL is checked again right before the send (its DNS may have changed since it
    was saved) and the connection goes to the address that was checked (``assets.egress``).
    """
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.delivered_at is not None:
        return delivery  # idempotent: a duplicate task run sends nothing twice
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "dam-webhooks/1",
        "X-Dam-Event": delivery.event,
        "X-Dam-Delivery": str(delivery.id),
        "X-Dam-Signature": sign(endpoint.signing_secrets(timezone.now()), int(time.time()), body),
    }
    delivery.attempts += 1
    try:
        target = egress.check(endpoint.url, allow_private=settings.DAM_WEBHOOK_ALLOW_PRIVATE)
        reply = egress.post(target, body, headers, timeout=settings.DAM_WEBHOOK_TIMEOUT,
                            ca_certs=settings.DAM_WEBHOOK_CA_BUNDLE)  # fmt: skip
    except egress.EgressRefused as exc:
        delivery.error = str(exc)
        delivery.save(update_fields=["attempts", "error"])
        logger.warning("webhook %s to %s failed: %s", delivery.event, endpoint, delivery.error)
        raise DeliveryFailed(delivery.error) from exc
    delivered = 200 <= reply.status < 300
    delivery.response_status, delivery.response_body = reply.status, reply.excerpt
    delivery.error = "" if delivered else _http_error(reply.status)
    delivery.delivered_at = timezone.now() if delivered else None
    delivery.save(update_fields=["attempts", "response_status", "response_body", "error", "delivered_at"])
    if not delivered:
        logger.warning("webhook %s to %s failed: %s", delivery.event, endpoint, delivery.error)
        raise DeliveryFailed(delivery.error)
    logger.info("webhook %s delivered to %s (%s)", delivery.event, endpoint, reply.status)
    return delivery


def _http_error(status: int) -> str:
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed (configure the final URL)"
    return f"HTTP {status}"
