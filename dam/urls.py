"""Root URLs: the admin, rendition delivery, and (local storage only) rendition files."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dam import health
from renditions import urls as delivery_urls
from renditions.views import local_rendition_file


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says; the file is a (hashed) static one."""
    return HttpResponseRedirect(static("dam/favicon.svg"))


handler400 = "dam.error_pages.bad_request"
handler403 = "dam.error_pages.permission_denied"
handler404 = "dam.error_pages.not_found"
handler500 = "dam.error_pages.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    # Delivery first: the hottest path by far (every image on every page), resolved before the
    # rest, and its patterns listed here, not include()d: a nested resolver matched and built a
    # match of its own on every hit (a third of a warm hit's URL resolution).
    *delivery_urls.urlpatterns,
    # "View site" and a bare visit land here: links to the admin, the API docs and health.
    path("", TemplateView.as_view(template_name="landing.html"), name="landing"),
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("api.urls", "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
]

if settings.DAM_STORAGE == "filesystem":
    # Redirect mode on local storage points at these files. Only renditions are public;
    # originals are never served. (On S3 the bucket or the CDN serves them.)
    urlpatterns.append(
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}{settings.DAM_RENDITIONS_PREFIX}/(?P<path>.+)$",
            local_rendition_file,
        )
    )
