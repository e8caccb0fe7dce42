"""Admin for webhook endpoints and their deliveries.

An endpoint's URL is checked when it is saved (``assets.egress``: https, a host that resolves
to public addresses only) and again at every send. Its secret is made by the server, shown once
on creation and on rotation, and never editable.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from assets import egress
from assets.models import WebhookDelivery, WebhookEndpoint
from assets.shown_once import shown_once


class WebhookDeliveryInline(admin.TabularInline[WebhookDelivery, WebhookEndpoint]):
    model = WebhookDelivery
    fields = ["created_at", "event", "status", "attempts", "response_status", "error", "next_attempt_at",
              "delivered_at"]  # fmt: skip
    readonly_fields = ["created_at", "event", "status", "attempts", "response_status", "error",
                       "next_attempt_at", "delivered_at"]  # fmt: skip
    extra = 0
    max_num = 0
    ordering = ["-created_at"]
    show_change_link = True


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="https only; the host must resolve to public addresses.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "active"]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        # One DNS lookup, bounded by the resolver's timeout; the send checks again anyway.
        try:
            egress.check(url, allow_private=settings.DAM_WEBHOOK_ALLOW_PRIVATE)
        except egress.EgressRefused as exc:
            raise ValidationError(f"This URL cannot receive webhooks: {exc}.", code="refused_url") from exc
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = WebhookEndpointForm
    list_display = ["__str__", "events", "active", "created_at"]
    inlines = [WebhookDeliveryInline]
    actions = ["rotate_secrets", "revoke_secrets"]

    def get_inlines(self, request: HttpRequest, obj: WebhookEndpoint | None = None) -> list[Any]:
        return list(self.inlines) if obj is not None else []  # a new endpoint has had no deliveries

    def response_add(self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: str | None = None
                     ) -> HttpResponse:  # fmt: skip
        return self._show_secrets(request, [obj], "Webhook endpoint created")

    @admin.action(description="Rotate the signing secret (the old one also signs for 24 hours)",
                  permissions=["change"])  # fmt: skip
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> HttpResponse:
        endpoints = list(queryset)
        for endpoint in endpoints:
            endpoint.rotate_secret()
        return self._show_secrets(
            request, endpoints, "New signing secrets",
            note="Deliveries are signed with the new and the old secret for 24 hours: put the new one "
            "in the consuming app within that time.",
        )  # fmt: skip

    @admin.action(description="Replace the signing secret now (the old one leaked: it stops signing at once)",
                  permissions=["change"])  # fmt: skip
    def revoke_secrets(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> HttpResponse:
        endpoints = list(queryset)
        for endpoint in endpoints:
            endpoint.rotate_secret(keep_previous_for=timedelta(0))
        return self._show_secrets(
            request, endpoints, "New signing secrets",
            note="The old secret no longer signs anything: deliveries fail verification in the consuming "
            "app until it has the new one (failed deliveries are retried).",
        )  # fmt: skip

    def _show_secrets(
        self, request: HttpRequest, endpoints: list[WebhookEndpoint], title: str, note: str = ""
    ) -> HttpResponse:
        return shown_once(
            request, self, title=title, heading="Signing secret (X-Dam-Signature)",
            secrets=[(str(e), e.secret) for e in endpoints],
            continue_url=reverse("admin:assets_webhookendpoint_changelist"), note=note,
        )  # fmt: skip


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = ["event", "endpoint", "status", "attempts", "response_status", "error", "next_attempt_at",
                    "delivered_at", "created_at"]  # fmt: skip
    list_filter = ["event", "response_status"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).select_related("endpoint")
