"""API v1 views. Thin: parse → call the service (ingest, uploads, rendition URLs) → serialize.

Hooks to override: ``get_queryset`` (the rows a client may see), ``filterset_class`` (list
parameters, api/filters.py), ``action_permissions`` (what a staff session needs per action,
api/permissions.py), ``serialize_assets`` (renditions for the whole page, computed once:
the query count does not grow with the page size, and no storage call is made),
``perform_destroy`` (files leave storage after commit via signals).

Every request's body is read last: credentials, permissions and throttles first, then its
declared length, and the read itself stops at the byte cap (api/body_limits.py).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, status, views, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from api import body_limits, idempotency
from api import serializers as s
from api.collections import CollectionList, CollectionSerializer, collection_paths
from api.conditional import ConditionalGetMixin
from api.filters import AssetFilter, StrictFilterBackend
from api.idempotency import IdempotentMixin
from assets import outbox, replace, similar, uploads
from assets.ingest import AssetFields, ingest
from assets.models import Asset, Tag, Upload
from assets.search import ordering as search_ordering
from dam.api import NewestFirstCursorPagination
from renditions import pipeline, services
from renditions.models import RenditionSpec
from renditions.specs import Spec

PROBLEM = OpenApiResponse(description="application/problem+json with a stable `code` (docs/api.md)")
IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Optional. A retry with the same key gets the first answer again (24 h); the same "
    "key with another body: 409 idempotency_conflict; while the first still runs: 409 "
    "idempotency_in_progress. docs/api.md",
)  # fmt: skip


def base_url(request: Request) -> str:
    return settings.DAM_PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def api_key_of(request: Request) -> Any:
    return getattr(request.user, "key", None)


def user_of(request: Request) -> Any:
    return request.user if getattr(request.user, "is_staff", False) else None


def with_similar(body: Any, asset: Asset) -> Any:
    """A new asset's JSON with its near-duplicates: ``similar: [{"id", "distance"}, …]``."""
    found = similar.similar_to(asset)
    return {**body, "similar": [{"id": str(match.asset_id), "distance": match.distance} for match in found]}


def serialize_assets(request: Request, assets: list[Asset], context: dict[str, Any] | None = None) -> Any:
    """Assets as JSON with every named rendition: the specs and the made renditions are read once
    for the whole list (two queries), and no storage is asked anything."""
    return asset_serializer(request, assets, context).data


def asset_serializer(request: Request, assets: list[Asset], context: dict[str, Any] | None = None) -> Any:
    context = {**(context or {}), "request": request, "specs": list(RenditionSpec.objects.all())}
    context["renditions"] = services.named_renditions(assets, base=base_url(request), specs=context["specs"])
    context["collection_paths"] = collection_paths(assets)
    return s.AssetSerializer(assets, many=True, context=context)


class ApiViewSet(viewsets.GenericViewSet):
    """The order every request takes: credentials → permission → throttle → declared body length
    → body (read under the byte cap). The cap is in place before the credentials are checked,
    because a session's CSRF check may read a form body."""

    filter_backends = [StrictFilterBackend]
    action_permissions: dict[str, tuple[str, ...]] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        body_limits.install(request._request, file_bytes=settings.DAM_MAX_UPLOAD_BYTES)
        super().initial(request, *args, **kwargs)
        body_limits.refuse_oversized(request._request, file_bytes=settings.DAM_MAX_UPLOAD_BYTES)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        """Every answer the throttle counted says how much of the budget is left (the IETF draft's
        ``RateLimit-Limit``/``-Remaining``/``-Reset`` fields, as GitHub's ``X-RateLimit-*`` do),
        so a client can slow down before it meets a 429."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if (counted := getattr(request, "rate_limit", None)) is not None:
            limit, remaining, reset, window = counted
            response["RateLimit-Limit"], response["RateLimit-Remaining"] = str(limit), str(remaining)
            response["RateLimit-Reset"], response["RateLimit-Policy"] = str(reset), f"{limit};w={window}"
        return response


VIEW, ADD, CHANGE, DELETE = (
    "assets.view_asset",
    "assets.add_asset",
    "assets.change_asset",
    "assets.delete_asset",
)


class AssetPagination(NewestFirstCursorPagination):
    """Newest first; a ranked search (``q``) best first, then newest first (assets/search.py). The
    cursor then holds a rank: a position of the other ordering is ``400 invalid``."""

    def get_ordering(self, request: Any, queryset: QuerySet[Any], view: Any) -> tuple[str, ...]:
        self.ranked = search_ordering(queryset)
        return self.ranked or tuple(NewestFirstCursorPagination.ordering)

    def valid_position(self, position: object) -> bool:
        if not getattr(self, "ranked", None):
            return super().valid_position(position)
        try:
            return math.isfinite(float(str(position)))
        except ValueError:
            return False

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["missing"] = {
            "type": "array", "items": {"type": "string", "format": "uuid"},
            "description": "Only in the answer to `ids`: the ids asked for that are not in `results`.",
        }  # fmt: skip
        return response


class AssetViewSet(
    ConditionalGetMixin,
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    serializer_class = s.AssetSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    lookup_value_regex = "[0-9a-f-]{36}"
    filterset_class = AssetFilter
    pagination_class = AssetPagination
    # Signing URLs is a write: each URL may make the server render (and store) a new file.
    action_permissions = {"list": (VIEW,), "retrieve": (VIEW,), "metadata": (VIEW,), "create": (ADD,),
                          "partial_update": (CHANGE,), "destroy": (DELETE,), "urls": (CHANGE,),
                          "replace_file": (CHANGE,), "similar": (VIEW,)}  # fmt: skip

    def get_queryset(self) -> QuerySet[Asset]:
        return Asset.objects.for_api()

    def _serialize(self, assets: list[Asset]) -> Any:
        return serialize_assets(self.request, assets, self.get_serializer_context())

    @extend_schema(responses={200: s.AssetSerializer(many=True), 400: PROBLEM, 401: PROBLEM, 403: PROBLEM})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if (ids := AssetFilter.requested_ids(request.query_params)) is not None:
            return self._bulk(queryset, ids)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self._serialize(list(page or [])))

    def _bulk(self, queryset: QuerySet[Asset], ids: Sequence[uuid.UUID]) -> Response:
        """A bulk lookup: one page, in the order asked, and the ids it does not hold."""
        found = {asset.id: asset for asset in queryset}
        results = self._serialize([found[i] for i in ids if i in found])
        missing = [str(i) for i in ids if i not in found]
        return Response({"next": None, "previous": None, "results": results, "missing": missing})

    @extend_schema(responses={200: s.AssetSerializer, 404: PROBLEM})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One asset, with its rendition URLs; a weak ETag (`If-None-Match` → 304)."""
        return Response(self._serialize([self.get_object()])[0])

    @extend_schema(request={"multipart/form-data": s.AssetCreateSerializer}, parameters=[IDEMPOTENCY_KEY],
                   responses={201: s.AssetCreatedSerializer, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 409: PROBLEM})  # fmt: skip
    def create(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Upload an image (multipart `file`, with optional fields): validated by its content, then
        stored as a new asset; 201 with the asset and its near-duplicates (`similar`)."""
        return self.idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        form = s.AssetCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        asset = ingest(upload, filename=upload.name, fields=form.asset_fields(), uploaded_by=user_of(request))
        body = with_similar(self._serialize([self._reload(asset)])[0], asset)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.AssetUpdateSerializer, responses={200: s.AssetSerializer, 400: PROBLEM, 404: PROBLEM}
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change an asset's fields: only the fields sent change; an unknown field is `400 invalid`."""
        asset = self.get_object()
        form = s.AssetUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with transaction.atomic():
            for field in ("title", "alt_text", "caption", "credit", "copyright"):
                if field in data:
                    setattr(asset, field, data[field])
            if "focal_point" in data:
                point = data["focal_point"]
                asset.focal_x, asset.focal_y = point if point else (None, None)
            if "collection" in data:
                asset.collection = data["collection"]
            for field, value in data.get("rights", {}).items():
                setattr(asset, field, value)
            asset.save()
            if "tags" in data:
                asset.tags.set([Tag.objects.get_or_create(name=name)[0] for name in data["tags"]])
            outbox.asset_event("asset.updated", asset)
        return Response(self._serialize([self._reload(asset)])[0])

    @extend_schema(responses={204: None, 404: PROBLEM})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The asset, its files and its usages. An asset in use is deleted too (the consuming app
        asked; editors in the admin are warned first)."""
        return super().destroy(request, *args, **kwargs)

    @extend_schema(request=s.UrlsRequestSerializer, responses={200: inline_serializer(
        "SignedUrls", {"urls": s.SignedUrlSerializer(many=True)}), 400: PROBLEM, 404: PROBLEM})  # fmt: skip
    @action(detail=True, methods=["post"], url_path="urls")
    def urls(self, request: Request, pk: str | None = None) -> Response:
        """Signed URLs for ad-hoc specs (validated and canonicalised; 400 ``invalid_spec``)."""
        asset = self.get_object()
        form = s.UrlsRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        expires_in = form.validated_data.get("expires_in")
        expires = int(time.time()) + expires_in if expires_in else None
        return Response(
            {"urls": [self._signed(asset, spec, expires) for spec in form.validated_data["specs"]]}
        )

    def _signed(self, asset: Asset, spec: Spec, expires: int | None) -> dict[str, Any]:
        url = services.adhoc_url(asset, spec, base=base_url(self.request), expires=expires)
        geometry = pipeline.geometry(
            spec, (asset.width, asset.height), asset.focal_point, services.render_limits()
        )
        width, height = geometry.output_size
        content_type = (
            None
            if spec.is_auto_format
            else pipeline.CONTENT_TYPES[pipeline.output_format(spec, asset.format)]
        )
        return {"spec": str(spec), "url": url, "width": width, "height": height, "content_type": content_type}

    @extend_schema(request={"multipart/form-data": s.AssetFileSerializer, "application/json": s.AssetFileSerializer},
                   responses={200: s.AssetSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 410: PROBLEM})  # fmt: skip
    @action(detail=True, methods=["put"], url_path="file")
    def replace_file(self, request: Request, pk: str | None = None) -> Response:
        """A new original for the asset (validated like an upload): its id, title and tags stay; the
        previous file is kept as a version; every rendition URL changes (the old ones redirect);
        an ``asset.updated`` webhook is sent."""
        asset = self.get_object()
        form = s.AssetFileSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if "file" in form.validated_data:
            received = form.validated_data["file"]
            replace.replace_file(asset.pk, received, filename=received.name, by=user_of(request))
        else:
            upload = get_object_or_404(
                Upload.objects.created_by(api_key=api_key_of(request), user=user_of(request)),
                pk=form.validated_data["upload"],
            )
            uploads.complete(upload, uploaded_by=user_of(request), replacing=asset.pk)
        return Response(self._serialize([self._reload(asset)])[0])

    @extend_schema(parameters=[s.SimilarQuerySerializer],
                   responses={200: inline_serializer("SimilarAssets", {"results": s.SimilarResultSerializer(many=True)}),
                              400: PROBLEM, 404: PROBLEM})  # fmt: skip
    @action(detail=True, methods=["get"], url_path="similar")
    def similar(self, request: Request, pk: str | None = None) -> Response:
        """Near-duplicates of the asset (perceptual hash within ``max_distance``), closest first,
        at most 10. ``max_distance`` out of 0–11 or not a number: 400 ``invalid``."""
        asset = self.get_object()
        query = s.SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = similar.similar_to(asset, max_distance=query.validated_data.get("max_distance"))
        by_id = {a.id: a for a in self.get_queryset().filter(pk__in=[m.asset_id for m in found])}
        assets = [by_id[m.asset_id] for m in found if m.asset_id in by_id]
        bodies = dict(zip([a.id for a in assets], self._serialize(assets), strict=True))
        return Response({"results": [{"distance": m.distance, "asset": bodies[m.asset_id]}
                                     for m in found if m.asset_id in bodies]})  # fmt: skip

    def _reload(self, asset: Asset) -> Asset:
        return Asset.objects.for_api().get(pk=asset.pk)


class RenditionSpecViewSet(mixins.ListModelMixin, ApiViewSet):
    """The named specs: every asset's ``renditions`` has one entry per spec listed here."""

    serializer_class = s.RenditionSpecSerializer
    queryset = RenditionSpec.objects.all()
    pagination_class = None
    action_permissions = {
        "list": ("renditions.view_renditionspec",),
        "metadata": ("renditions.view_renditionspec",),
    }


class CollectionViewSet(CollectionList, ApiViewSet):
    serializer_class = CollectionSerializer
    pagination_class = None
    action_permissions = {"list": ("assets.view_collection",), "metadata": ("assets.view_collection",)}


class UploadViewSet(IdempotentMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Direct uploads: ``POST uploads/`` → send the file where told → ``POST uploads/{id}/complete/``.

    An upload is its creator's: another key or user gets 404, as for an id that does not exist.
    Every action is part of adding an asset, so a staff session needs ``add_asset`` for each."""

    serializer_class = s.UploadSerializer
    lookup_value_regex = "[0-9a-f-]{36}"
    action_permissions = {"create": (ADD,), "retrieve": (ADD,), "complete": (ADD,), "metadata": (ADD,)}

    def get_queryset(self) -> QuerySet[Upload]:
        return Upload.objects.created_by(api_key=api_key_of(self.request), user=user_of(self.request))

    @extend_schema(request=s.UploadCreateSerializer, parameters=[IDEMPOTENCY_KEY], responses={201: inline_serializer(
        "UploadStarted", {"upload": s.UploadSerializer(), "instructions": s.UploadInstructions()}),
        400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 409: PROBLEM})  # fmt: skip
    def create(self, request: Request) -> HttpResponseBase:
        return self.idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        form = s.UploadCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload, instructions = uploads.start(**form.validated_data, api_key=api_key_of(request),
                                             user=user_of(request), base_url=base_url(request))  # fmt: skip
        return Response({"upload": s.UploadSerializer(upload).data, "instructions": instructions}, status=201)

    @extend_schema(request=s.AssetUpdateSerializer, responses={201: s.AssetCreatedSerializer, 200: s.AssetCreatedSerializer,
                   400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 410: PROBLEM})  # fmt: skip
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Validate the stored file exactly like a multipart upload and make the asset. Idempotent:
        201 the first time, 200 with the same asset after. After ``expires_at``: 410 ``upload_expired``."""
        upload = self.get_object()
        form = s.AssetUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        fields = s.fields_from(form.validated_data) if form.validated_data else AssetFields()
        asset, created = uploads.complete(upload, fields=fields, uploaded_by=user_of(request))
        return Response(
            with_similar(serialize_assets(request, [asset])[0], asset), status=201 if created else 200
        )


class LocalUploadFile(views.APIView):
    """Local storage's stand-in for S3's POST of a direct upload. The signed ``policy`` in the
    query string authorises it, and is checked before a byte of the body is read; the body is then
    read only up to the declared size."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]
    throttle_classes: list[Any] = []
    schema = None  # not part of the API: its URL comes from `instructions`

    def post(self, request: Request, pk: uuid.UUID) -> Response:
        upload = uploads.authorize_local(str(pk), policy=request.query_params.get("policy", ""))
        body_limits.refuse_oversized(request._request, file_bytes=upload.byte_size)
        body_limits.install(request._request, file_bytes=upload.byte_size)
        received = request.data.get("file")
        if received is None:
            raise ValidationError({"file": ["Send the file in the `file` field, after the other fields."]})
        uploads.store_local(upload, received)
        return Response(status=204)
