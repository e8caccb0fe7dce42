"""``/api/v1/webhook-endpoints/``: the consuming app registers where dam tells it what happened.

CRUD on endpoints (the secret is made by the server and shown once, on creation and rotation),
the deliveries of one endpoint, a redelivery, and a test event. Sending is the outbox's
(assets/outbox.py): these views write rows, answer ``202``, and a sender sends them afterwards.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import webhook_serializers as ws
from api.filters import WebhookDeliveryFilter, WebhookEndpointFilter
from api.views import PROBLEM, ApiViewSet
from assets import outbox
from assets.models import WebhookDelivery, WebhookEndpoint
from dam.errors import DamError

VIEW, ADD, CHANGE, DELETE = (f"assets.{verb}_webhookendpoint" for verb in ("view", "add", "change", "delete"))


class EndpointInactive(DamError):
    code = "endpoint_inactive"
    status = 409


def shown_once(data: Any, status_code: int = status.HTTP_200_OK) -> Response:
    """An answer holding a secret: no cache along the way may keep it."""
    response = Response(data, status=status_code)
    response["Cache-Control"] = "no-store"
    return response


class WebhookEndpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    serializer_class = ws.WebhookEndpointSerializer
    lookup_value_regex = "[0-9]+"
    filterset_classes = {"list": WebhookEndpointFilter, "deliveries": WebhookDeliveryFilter}
    action_permissions = {"list": (VIEW,), "retrieve": (VIEW,), "deliveries": (VIEW,), "metadata": (VIEW,),
                          "create": (ADD,), "partial_update": (CHANGE,), "rotate_secret": (CHANGE,),
                          "test": (CHANGE,), "redeliver": (CHANGE,), "destroy": (DELETE,)}  # fmt: skip

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return WebhookEndpoint.objects.all()

    @extend_schema(request=ws.WebhookEndpointSerializer,
                   responses={201: ws.WebhookEndpointWithSecretSerializer, 400: PROBLEM, 403: PROBLEM})  # fmt: skip
    def create(self, request: Request) -> Response:
        form = ws.WebhookEndpointSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = WebhookEndpoint.objects.create(**form.validated_data)  # the secret: made by the model
        return shown_once(ws.WebhookEndpointWithSecretSerializer(endpoint).data, status.HTTP_201_CREATED)

    @extend_schema(request=ws.WebhookEndpointSerializer,
                   responses={200: ws.WebhookEndpointSerializer, 400: PROBLEM, 404: PROBLEM})  # fmt: skip
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        form = ws.WebhookEndpointSerializer(endpoint, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        form.save()
        return Response(form.data)

    @extend_schema(request=ws.RotateSecretSerializer,
                   responses={200: ws.WebhookEndpointWithSecretSerializer, 400: PROBLEM, 404: PROBLEM})  # fmt: skip
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new signing secret, shown in this answer only. The old one keeps signing deliveries
        (as a second ``v1=``) for ``expire_previous_in`` seconds, 24 hours unless given; ``0``
        revokes it at once (a leaked secret)."""
        endpoint = self.get_object()
        form = ws.RotateSecretSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint.rotate_secret(keep_previous_for=timedelta(seconds=form.validated_data["expire_previous_in"]))
        return shown_once(ws.WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(responses={200: ws.WebhookDeliverySerializer(many=True), 400: PROBLEM, 404: PROBLEM})
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """This endpoint's deliveries, newest first (cursor-paginated)."""
        # Not get_object(): it would run the endpoint rows through this action's (deliveries') filters.
        endpoint = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(request, endpoint)
        rows = self.filter_queryset(WebhookDelivery.objects.filter(endpoint=endpoint))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ws.WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={
        202: ws.WebhookDeliverySerializer, 404: PROBLEM,
        409: OpenApiResponse(description="endpoint_inactive: activate the endpoint first")})  # fmt: skip
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a ``webhook.test`` event to this endpoint (whatever its ``events``); see how it
        went in ``deliveries``."""
        endpoint = self._active(self.get_object())
        with transaction.atomic():
            data = {
                "endpoint": {"id": str(endpoint.pk), "url": str(endpoint)},  # redacted
                "message": "A test event from dam.",
            }
            (row,) = outbox.record(WebhookEndpoint.TEST_EVENT, data, endpoints=[endpoint])
        return Response(ws.WebhookDeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ws.WebhookDeliverySerializer, 404: PROBLEM, 409: PROBLEM})
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[0-9a-f-]{36})/redeliver")
    def redeliver(self, request: Request, pk: str | None = None, delivery_id: str = "") -> Response:
        """Send a delivery's event again, as a new delivery (a new ``X-Dam-Delivery``)."""
        endpoint = self._active(self.get_object())
        original = get_object_or_404(WebhookDelivery, pk=_uuid(delivery_id), endpoint=endpoint)
        row = outbox.redeliver(original)
        return Response(ws.WebhookDeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)

    def _active(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        if not endpoint.active:
            raise EndpointInactive("This endpoint is inactive: nothing is sent to it until it is activated.")
        return endpoint


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
