from django.urls import path
from rest_framework.routers import SimpleRouter

from api import views, webhook_views

router = SimpleRouter()
router.register("assets", views.AssetViewSet, basename="asset")
router.register("collections", views.CollectionViewSet, basename="collection")
router.register("rendition-specs", views.RenditionSpecViewSet, basename="rendition-spec")
router.register("uploads", views.UploadViewSet, basename="upload")
router.register("webhook-endpoints", webhook_views.WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = [
    path("uploads/<uuid:pk>/file/", views.LocalUploadFile.as_view(), name="upload-file"),
    *router.urls,
]
