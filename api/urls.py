from typing import Any

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from api import usages, views, webhook_views

router = SimpleRouter()
router.register("assets", views.AssetViewSet, basename="asset")
router.register("collections", views.CollectionViewSet, basename="collection")
router.register("rendition-specs", views.RenditionSpecViewSet, basename="rendition-spec")
router.register("uploads", views.UploadViewSet, basename="upload")
router.register("webhook-endpoints", webhook_views.WebhookEndpointViewSet, basename="webhook-endpoint")

ASSET = r"^assets/(?P<asset_id>[0-9a-f-]{36})/usages/"
LIST: dict[str, Any] = {"get": "list"}
USAGE: dict[str, Any] = {"get": "retrieve", "put": "update", "delete": "destroy"}

urlpatterns = [
    path("uploads/<uuid:pk>/file/", views.LocalUploadFile.as_view(), name="upload-file"),
    re_path(ASSET + r"$", usages.AssetUsageViewSet.as_view(LIST), name="asset-usage-list"),
    re_path(ASSET + r"(?P<external_id>[^/]+)$", usages.AssetUsageViewSet.as_view(USAGE), name="asset-usage"),
    # A trailing slash, or a "/" inside the id (400 invalid_external_id, not "no such endpoint").
    re_path(
        ASSET + r"(?P<external_id>.+)$", usages.AssetUsagePathFallback.as_view(USAGE, name="Asset Usage")
    ),
    *router.urls,
]
