from django.urls import path

from renditions import views

urlpatterns = [
    path("r/<uuid:asset_id>/<str:name>/<str:filename>", views.named_rendition, name="rendition-named"),
    path(
        "r/<uuid:asset_id>/<str:token>/<str:spec>/<str:filename>",
        views.adhoc_rendition,
        name="rendition-adhoc",
    ),
]
