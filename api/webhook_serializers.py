"""JSON shapes of webhook endpoints and their deliveries. An endpoint's secret appears in exactly
two answers: its creation and its rotation (it is shown once; only the server holds it). Its URL
is checked as the admin checks it (https, public addresses: assets/egress.py) and shown without
credentials or query string."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from assets import egress
from assets.models import (
    MAX_PREVIOUS_SECRET_OVERLAP,
    PREVIOUS_SECRET_OVERLAP,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    id = serializers.CharField(read_only=True)
    url = serializers.URLField(
        max_length=500, help_text="Where events are POSTed: https, on a host with public addresses only"
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEndpoint.Event.choices), required=False,
        help_text="The events to send; empty or omitted: every event",
    )  # fmt: skip
    active = serializers.BooleanField(required=False, help_text="Inactive: nothing is sent (deliveries wait)")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "active", "created_at", "previous_secret_expires_at"]
        read_only_fields = ["created_at", "previous_secret_expires_at"]

    def validate_url(self, value: str) -> str:
        # One DNS lookup, bounded by the resolver's timeout; every send checks again anyway.
        try:
            egress.check(value, allow_private=settings.DAM_WEBHOOK_ALLOW_PRIVATE)
        except egress.EgressRefused as exc:
            raise serializers.ValidationError(f"This URL cannot receive webhooks: {exc}.") from exc
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def to_representation(self, instance: WebhookEndpoint) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        data["url"] = egress.redact(instance.url)  # credentials and query stay on the server
        return data


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The X-Dam-Signature key. Shown only in this answer: store it now"
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class RotateSecretSerializer(serializers.Serializer[Any]):
    expire_previous_in = serializers.IntegerField(
        min_value=0, max_value=int(MAX_PREVIOUS_SECRET_OVERLAP.total_seconds()),
        default=int(PREVIOUS_SECRET_OVERLAP.total_seconds()),
        help_text="Seconds the old secret keeps signing deliveries (0: revoke it now; at most 7 days)",
    )  # fmt: skip


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    id = serializers.CharField(read_only=True, help_text="X-Dam-Delivery; the payload's id")
    endpoint_id = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, read_only=True,
                                     help_text="pending (an attempt is due or scheduled), delivered, "
                                     "failed (every attempt failed: redeliver)")  # fmt: skip
    response_body = serializers.CharField(read_only=True, help_text="The start of the endpoint's last reply")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint_id", "event", "status", "attempts", "response_status", "response_body",
                  "error", "created_at", "last_attempt_at", "next_attempt_at", "delivered_at", "payload"]  # fmt: skip
        read_only_fields = fields

    def get_endpoint_id(self, delivery: WebhookDelivery) -> str:
        return str(delivery.endpoint_id)
