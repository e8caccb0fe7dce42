"""``/api/v1/assets/{id}/usages/``: the consuming app tells dam where it uses an asset.

``PUT usages/{external_id}`` creates or replaces (201 / 200), ``DELETE`` removes (204; 404 when
absent), ``GET usages/`` lists (cursor-paginated) and ``GET usages/{external_id}`` reads one. The
external id is a path segment: ``[A-Za-z0-9._:-]``, 1–255 characters, not only dots; anything
else (an encoded ``/`` included) is ``400 invalid_external_id``. Writes are changes of the asset:
a read-write key, or a staff session with ``assets.change_asset``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.filters import PagedFilterSet
from api.views import CHANGE, PROBLEM, VIEW, ApiViewSet, api_key_of, user_of
from assets import usages
from assets.models import (
    EXTERNAL_ID_RULE,
    USAGE_LABEL_MAX_LENGTH,
    USAGE_URL_MAX_LENGTH,
    Asset,
    AssetUsage,
    valid_external_id,
)

INVALID_EXTERNAL_ID = "invalid_external_id"
EXTERNAL_ID = OpenApiParameter(
    "external_id", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[A-Za-z0-9._:-]{1,255}$",
    description=f"The consuming app's id for the place: {EXTERNAL_ID_RULE} Anything else, an encoded "
    "`/` included, is `400 invalid_external_id`.",
)  # fmt: skip
ASSET_ID = OpenApiParameter(
    "asset_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The asset's id"
)


class AssetUsageSerializer(serializers.ModelSerializer[AssetUsage]):
    class Meta:
        model = AssetUsage
        fields = ["external_id", "url", "label", "created_at", "updated_at"]
        read_only_fields = fields


class AssetUsageWriteSerializer(serializers.Serializer):
    """The body of ``PUT``: the whole usage (a field left out is not kept from before: ``label``
    becomes empty). A field it does not know is refused, so a typo cannot blank a label."""

    url = serializers.URLField(
        max_length=USAGE_URL_MAX_LENGTH,
        validators=[URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")],
        help_text=f"Where the place is: an http or https URL, at most {USAGE_URL_MAX_LENGTH} characters",
    )
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label: DRF pops it
        max_length=USAGE_LABEL_MAX_LENGTH, required=False, allow_blank=True, default="",
        help_text=f"What people call the place (shown to editors), at most {USAGE_LABEL_MAX_LENGTH} characters",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        data = self.initial_data
        if isinstance(data, dict) and (unknown := sorted(set(data) - set(self.fields))):
            raise ValidationError({name: ["Unknown field; known: label, url."] for name in unknown})
        return attrs


class AssetUsageFilter(PagedFilterSet):
    class Meta:
        model = AssetUsage
        fields: list[str] = []


def checked_external_id(value: str) -> str:
    """The external id of the path, or ``400 invalid_external_id`` (before any query)."""
    if not valid_external_id(value):
        raise ValidationError(
            {"external_id": [ErrorDetail(f"An external id is {EXTERNAL_ID_RULE}", code=INVALID_EXTERNAL_ID)]}
        )
    return value


def asset_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:  # the route admits 36 hex digits and dashes in any order
        raise Http404("No such asset.") from exc


class AssetUsageViewSet(ApiViewSet):
    """Routed by hand (api/urls.py): the external id is a path segment the router cannot express."""

    serializer_class = AssetUsageSerializer
    lookup_field = lookup_url_kwarg = "external_id"  # get_object(): the usage, among the asset's
    parser_classes = [JSONParser]
    filterset_class = AssetUsageFilter
    action_permissions = {"list": (VIEW,), "retrieve": (VIEW,), "metadata": (VIEW,),
                          "update": (CHANGE,), "destroy": (CHANGE,)}  # fmt: skip

    def get_queryset(self) -> QuerySet[AssetUsage]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no asset in the path
            return AssetUsage.objects.none()
        return AssetUsage.objects.filter(asset_id=asset_uuid(self.kwargs["asset_id"]))

    def _asset_id(self) -> uuid.UUID:
        asset_id = asset_uuid(self.kwargs["asset_id"])
        if not Asset.objects.filter(pk=asset_id).exists():
            raise Http404("No such asset.")
        return asset_id

    @extend_schema(parameters=[ASSET_ID], responses={200: AssetUsageSerializer(many=True), 400: PROBLEM,
                   401: PROBLEM, 403: PROBLEM, 404: PROBLEM})  # fmt: skip
    def list(self, request: Request, asset_id: str) -> Response:
        """Where the asset is used, newest first (cursor-paginated, like every list)."""
        self._asset_id()
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AssetUsageSerializer(page, many=True).data)

    @extend_schema(parameters=[ASSET_ID, EXTERNAL_ID],
                   responses={200: AssetUsageSerializer, 400: PROBLEM, 404: PROBLEM})  # fmt: skip
    def retrieve(self, request: Request, asset_id: str, external_id: str) -> Response:
        """One usage of the asset, by the consuming app's id for the place."""
        checked_external_id(external_id)
        return Response(AssetUsageSerializer(self.get_object()).data)

    @extend_schema(parameters=[ASSET_ID, EXTERNAL_ID], request=AssetUsageWriteSerializer,
                   responses={201: AssetUsageSerializer, 200: AssetUsageSerializer, 400: PROBLEM,
                              401: PROBLEM, 403: PROBLEM, 404: PROBLEM})  # fmt: skip
    def update(self, request: Request, asset_id: str, external_id: str) -> Response:
        """Create (201) or replace (200) the usage with this external id. Idempotent: the same
        body again changes nothing and answers 200 with the same usage."""
        external_id = checked_external_id(external_id)
        form = AssetUsageWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        usage, created = usages.put(
            asset_uuid(asset_id), external_id, **form.validated_data,
            api_key=api_key_of(request), user=user_of(request),
        )  # fmt: skip
        return Response(AssetUsageSerializer(usage).data, status=status.HTTP_201_CREATED if created else 200)

    @extend_schema(parameters=[ASSET_ID, EXTERNAL_ID],
                   responses={204: OpenApiResponse(description="Removed"), 400: PROBLEM, 404: PROBLEM})  # fmt: skip
    def destroy(self, request: Request, asset_id: str, external_id: str) -> Response:
        """The asset is no longer used there (404 when it was not, so a repeat is 404)."""
        external_id = checked_external_id(external_id)
        if not usages.delete(asset_uuid(asset_id), external_id):
            self._asset_id()
            raise Http404("The asset has no usage with this external id.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetUsagePathFallback(AssetUsageViewSet):
    """What the documented route does not match: a trailing slash (served as without it), and an
    external id with a ``/`` in it (an encoded one arrives decoded), ``400 invalid_external_id``."""

    schema = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if str(kwargs.get("external_id", "")).endswith("/"):
            kwargs["external_id"] = kwargs["external_id"][:-1]
        return super().dispatch(request, *args, **kwargs)
