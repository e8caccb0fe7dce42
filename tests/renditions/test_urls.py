"""URLs are computed, never looked up: zero storage calls, a query count that ignores page size."""

from __future__ import annotations

import io
import uuid
from collections import Counter

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.ingest import ingest
from assets.models import Asset
from dam.storage_config import filesystem_storages
from renditions import services
from renditions.models import RenditionSpec
from tests import images

pytestmark = pytest.mark.django_db

CALLS: Counter[str] = Counter()


class SpyStorage(FileSystemStorage):
    """Counts every storage operation a URL builder could make (url, exists, size, open, …)."""

    def __getattribute__(self, name: str):
        if not name.startswith("_") and name in {
            "url",
            "exists",
            "size",
            "open",
            "save",
            "listdir",
            "delete",
            "path",
            "get_modified_time",
            "generate_filename",
        }:
            CALLS[name] += 1
        return super().__getattribute__(name)


def _page(n: int) -> list[Asset]:
    template = Asset.objects.first()
    assert template is not None
    clones = []
    for i in range(n):
        clone = Asset(**{f.attname: getattr(template, f.attname) for f in Asset._meta.concrete_fields})
        clone.id, clone.focal_x, clone.focal_y = uuid.uuid4(), (i % 10) / 10, 0.5
        clones.append(clone)
    Asset.objects.bulk_create(clones)
    return list(Asset.objects.filter(id__in=[c.id for c in clones]))


def test_urls_for_a_page_make_no_storage_call_and_constant_queries(settings, tmp_path) -> None:
    # given 50 assets and every named spec (the seeded six plus an auto one), storages spied on
    ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    RenditionSpec.objects.create(name="auto", spec="width-300|format-auto")
    spied = filesystem_storages(tmp_path)
    for alias in ("originals", "renditions"):
        spied[alias]["BACKEND"] = "tests.renditions.test_urls.SpyStorage"
    settings.STORAGES = {**settings.STORAGES, **spied}
    small, large = _page(10), _page(50)
    CALLS.clear()
    # when
    with CaptureQueriesContext(connection) as for_small:
        services.named_renditions(small)
    with CaptureQueriesContext(connection) as for_large:
        page = services.named_renditions(large)
    # then
    assert sum(CALLS.values()) == 0, CALLS
    assert len(for_small) == len(for_large) <= 2
    specs = RenditionSpec.objects.count()
    assert sum(len(v) for v in page.values()) == 50 * specs
    thumb = page[large[0].id]["thumb"]
    assert (thumb.width, thumb.height, thumb.content_type, thumb.status) == (
        80,
        80,
        "image/webp",
        "pending",
    )  # fill keeps the ratio, no upscale
    urls = [info.url for infos in page.values() for info in infos.values()]
    assert len(set(urls)) == len(urls)


def test_status_turns_ready_once_generated(client, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    info = services.named_renditions([asset])[asset.id]["small"]
    assert info.status == "pending"
    assert client.get(info.url).status_code == 200
    assert services.named_renditions([asset])[asset.id]["small"].status == "ready"
