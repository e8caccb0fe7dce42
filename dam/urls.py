"""Root URLs: the admin, the rendition delivery, health."""

from django.contrib import admin
from django.urls import path

admin.site.site_header = "dam"
admin.site.site_title = "dam"
admin.site.index_title = "Digital assets"

urlpatterns = [
    path("admin/", admin.site.urls),
]
