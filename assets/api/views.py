"""API v1 views. Thin: parse → call the service (ingest, uploads, rendition URLs) → serialize.

Hooks to override: ``get_queryset`` (filters), ``serialize_assets`` (renditions for the whole
page, computed once: the query count does not grow with the page size, and no storage call is
made), ``perform_destroy`` (files leave storage after commit via signals).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from assets import uploads
from assets.api import serializers as s
from assets.ingest import AssetFields, ingest
from assets.models import Asset, Tag, Upload
from renditions import pipeline, services
from renditions.exceptions import InvalidSpec
from renditions.models import RenditionSpec, spec_limits
from renditions.specs import Spec

PROBLEM = OpenApiResponse(description="application/problem+json with a stable `code` (docs/api.md)")


def base_url(request: Request) -> str:
    return settings.DAM_PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def api_key_of(request: Request) -> Any:
    return getattr(request.user, "key", None)


def user_of(request: Request) -> Any:
    return request.user if getattr(request.user, "is_staff", False) else None


def serialize_assets(request: Request, assets: list[Asset], context: dict[str, Any] | None = None) -> Any:
    """Assets as JSON with every named rendition: the specs and the made renditions are read once
    for the whole list (two queries), and no storage is asked anything."""
    context = {**(context or {}), "request": request, "specs": list(RenditionSpec.objects.all())}
    context["renditions"] = services.named_renditions(assets, base=base_url(request), specs=context["specs"])
    return s.AssetSerializer(assets, many=True, context=context).data


LIST_FILTERS = [
    OpenApiParameter("tag", str, description="Assets with this tag"),
    OpenApiParameter("q", str, description="Search title, alt text and filename"),
    OpenApiParameter("format", str, description="JPEG, PNG, GIF, WEBP, AVIF or HEIF"),
    OpenApiParameter("status", str, description="processing, ready or failed"),
    OpenApiParameter("created_after", str, description="ISO 8601 date-time"),
    OpenApiParameter("updated_after", str, description="ISO 8601 date-time (sync since a time)"),
    OpenApiParameter("checksum", str, description="SHA-256 of the original (find duplicates)"),
]


class AssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                   viewsets.GenericViewSet):  # fmt: skip
    serializer_class = s.AssetSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self) -> QuerySet[Asset]:
        queryset = Asset.objects.with_related()
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if tag := params.get("tag"):
            queryset = queryset.filter(tags__name=tag.strip().lower())
        if q := params.get("q"):
            queryset = queryset.filter(
                Q(title__icontains=q) | Q(alt_text__icontains=q) | Q(original_filename__icontains=q)
            )
        for param, lookup in (("format", "format"), ("status", "status"), ("checksum", "sha256")):
            if value := params.get(param):
                queryset = queryset.filter(**{lookup: value.upper() if param == "format" else value.lower()})
        for param, lookup in (("created_after", "created_at__gt"), ("updated_after", "updated_at__gt")):
            if value := params.get(param):
                moment = parse_datetime(value)
                if moment is None:
                    raise ValidationError(
                        {param: ["Expected an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."]}
                    )
                queryset = queryset.filter(**{lookup: moment})
        return queryset.distinct() if params.get("tag") else queryset

    def _serialize(self, assets: list[Asset]) -> Any:
        return serialize_assets(self.request, assets, self.get_serializer_context())

    @extend_schema(
        parameters=LIST_FILTERS, responses={200: s.AssetSerializer(many=True), 400: PROBLEM, 401: PROBLEM}
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(list(page or [])))

    @extend_schema(responses={200: s.AssetSerializer, 404: PROBLEM})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._serialize([self.get_object()])[0])

    @extend_schema(request={"multipart/form-data": s.AssetCreateSerializer},
                   responses={201: s.AssetSerializer, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM})  # fmt: skip
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.AssetCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        asset = ingest(upload, filename=upload.name, fields=form.asset_fields(), uploaded_by=user_of(request))
        return Response(self._serialize([self._reload(asset)])[0], status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.AssetUpdateSerializer, responses={200: s.AssetSerializer, 400: PROBLEM, 404: PROBLEM}
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
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
            asset.save()
            if "tags" in data:
                asset.tags.set([Tag.objects.get_or_create(name=name)[0] for name in data["tags"]])
        return Response(self._serialize([self._reload(asset)])[0])

    @extend_schema(responses={204: None, 404: PROBLEM})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
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
        specs, errors = [], {}
        for index, text in enumerate(form.validated_data["specs"]):
            try:
                specs.append(Spec.parse(text, spec_limits()))
            except InvalidSpec as exc:
                errors[str(index)] = [exc.message]
        if errors:
            raise ValidationError({"specs": errors}, code="invalid_spec")
        return Response({"urls": [self._signed(asset, spec, expires) for spec in specs]})

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

    def _reload(self, asset: Asset) -> Asset:
        return Asset.objects.with_related().get(pk=asset.pk)


class RenditionSpecViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The named specs: every asset's ``renditions`` has one entry per spec listed here."""

    serializer_class = s.RenditionSpecSerializer
    queryset = RenditionSpec.objects.all()
    pagination_class = None


class UploadViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Direct uploads: ``POST uploads/`` → send the file where told → ``POST uploads/{id}/complete/``."""

    serializer_class = s.UploadSerializer
    queryset = Upload.objects.all()
    lookup_value_regex = "[0-9a-f-]{36}"

    @extend_schema(request=s.UploadCreateSerializer, responses={201: inline_serializer(
        "UploadStarted", {"upload": s.UploadSerializer(), "instructions": s.UploadInstructions()}),
        400: PROBLEM, 401: PROBLEM, 403: PROBLEM})  # fmt: skip
    def create(self, request: Request) -> Response:
        form = s.UploadCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload, instructions = uploads.start(
            **form.validated_data, api_key=api_key_of(request), base_url=base_url(request)
        )
        return Response({"upload": s.UploadSerializer(upload).data, "instructions": instructions}, status=201)

    @extend_schema(request=s.AssetUpdateSerializer, responses={201: s.AssetSerializer, 200: s.AssetSerializer,
                   400: PROBLEM, 404: PROBLEM, 409: PROBLEM})  # fmt: skip
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Validate the stored file exactly like a multipart upload and make the asset. Idempotent:
        201 the first time, 200 with the same asset after."""
        upload = self.get_object()
        form = s.AssetUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        fields = s.fields_from(form.validated_data) if form.validated_data else AssetFields()
        asset, created = uploads.complete(upload.pk, fields=fields, uploaded_by=user_of(request))
        return Response(serialize_assets(request, [asset])[0], status=201 if created else 200)

    @extend_schema(exclude=True)
    @action(detail=True, methods=["post"], url_path="file", permission_classes=[AllowAny],
            authentication_classes=[], parser_classes=[MultiPartParser], throttle_classes=[])  # fmt: skip
    def file(self, request: Request, pk: str | None = None) -> Response:
        """Local storage's stand-in for S3's POST: authorised by the signed ``policy`` field."""
        upload = get_object_or_404(Upload, pk=pk)
        received = request.data.get("file")
        if received is None:
            raise ValidationError({"file": ["Send the file in the `file` field, after the other fields."]})
        uploads.receive_local(upload, policy=str(request.data.get("policy", "")), fileobj=received)
        return Response(status=204)
