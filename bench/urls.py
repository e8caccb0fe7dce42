from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path

from bench.bare_admin import bare_site
from dam.urls import urlpatterns as dam_urlpatterns


def bare_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """The reference: what a Django view that only redirects costs under the same server."""
    return HttpResponseRedirect("/media/renditions/bare.webp")


urlpatterns = [
    path("bench/bare-redirect", bare_redirect),
    path("bench/bare-admin/", bare_site.urls),  # bench/library.py's reference changelist
    *dam_urlpatterns,
]
