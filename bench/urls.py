from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from assets.models import Asset
from bench.bare_admin import bare_site
from dam.urls import urlpatterns as dam_urlpatterns
from renditions.urls import urlpatterns as delivery_urlpatterns


def bare_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """The reference: what a Django view that only redirects costs under the same server."""
    return HttpResponseRedirect("/media/renditions/bare.webp")


@csrf_exempt
def bare_upload(request: HttpRequest) -> JsonResponse:
    """The reference for uploads: Django parses the multipart body and answers; nothing else."""
    received = request.FILES["file"]
    return JsonResponse({"name": received.name, "size": received.size}, status=201)


def bare_list(request: HttpRequest) -> JsonResponse:
    """The reference for the API list: the same 50 newest rows, their plain columns as JSON."""
    fields = ("id", "title", "alt_text", "format", "width", "height", "byte_size", "status", "created_at")
    rows = list(Asset.objects.order_by("-created_at", "-id").values(*fields)[:50])
    return JsonResponse({"results": rows})


# The warm-hit comparison resolves each side as close to the front as a root URLconf can: the bare
# redirect first, dam's delivery next (first in dam.urls, as in production), the rest after them.
urlpatterns = [
    path("bench/bare-redirect", bare_redirect),
    *delivery_urlpatterns,
    path("bench/bare-upload", bare_upload),
    path("bench/bare-list", bare_list),
    path("bench/bare-admin/", bare_site.urls),  # bench/library.py's reference changelist
    *(pattern for pattern in dam_urlpatterns if pattern not in delivery_urlpatterns),
]
