"""Conditional GET: asset detail and list carry a weak ETag over their JSON; If-None-Match → 304.
The tag must change whenever the JSON would, rendition URLs and statuses included."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from assets.ingest import AssetFields, ingest
from assets.models import Asset
from renditions.models import RenditionSpec
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(filesystem_storage) -> Asset:
    return ingest(io.BytesIO(images.jpeg((120, 80))), filename="x.jpg", fields=AssetFields(tags=["sea"]))


def detail(asset: Asset) -> str:
    return f"/api/v1/assets/{asset.id}/"


@pytest.mark.parametrize("url", ["detail", "/api/v1/assets/", "/api/v1/assets/?tag=sea", "ids"])
def test_a_repeat_with_the_tag_is_304_without_a_body(api: APIClient, asset: Asset, url: str) -> None:
    url = {"detail": detail(asset), "ids": f"/api/v1/assets/?ids={asset.id}"}.get(url, url)
    # given
    first = api.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('W/"')
    assert first["Cache-Control"] == "private, no-cache"
    # when / then
    for header in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        again = api.get(url, HTTP_IF_NONE_MATCH=header)
        assert again.status_code == 304, header
        assert again.content == b"" and again["ETag"] == etag
    assert api.get(url, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


def _patch(**fields) -> Callable[[APIClient, Asset], object]:
    return lambda api, asset: api.patch(detail(asset), fields, format="json")


def _render_small(api: APIClient, asset: Asset) -> object:
    return api.get(api.get(detail(asset)).json()["renditions"]["small"]["url"])


CHANGES = {
    "title": _patch(title="New"),
    "tags": _patch(tags=["land"]),
    "focal point": _patch(focal_point={"x": 0.1, "y": 0.9}),
    "a rendition made (pending → ready)": _render_small,
    "a named spec added": lambda api, asset: RenditionSpec.objects.create(name="new", spec="width-10"),
    "a named spec edited": lambda api, asset: RenditionSpec.objects.filter(name="small").update(
        spec="width-470"
    ),
    "status": lambda api, asset: Asset.objects.filter(pk=asset.pk).update(status="failed"),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
@pytest.mark.parametrize("where", ["detail", "list"])
def test_the_tag_changes_whenever_the_json_does(
    api: APIClient, asset: Asset, settings, change: str, where: str
) -> None:
    settings.DAM_DELIVERY = "proxy"
    url = detail(asset) if where == "detail" else "/api/v1/assets/"
    # given a client holding the current body and its tag
    before = api.get(url)
    # when something in it changes
    CHANGES[change](api, asset)
    # then its tag no longer matches
    after = api.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200, change
    assert after["ETag"] != before["ETag"] and after.content != before.content


def test_the_urls_host_is_part_of_the_body_and_so_of_the_tag(api: APIClient, asset: Asset, settings) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "cdn.example.com"]
    here = api.get(detail(asset))
    there = api.get(detail(asset), HTTP_HOST="cdn.example.com", HTTP_IF_NONE_MATCH=here["ETag"])
    assert there.status_code == 200 and there["ETag"] != here["ETag"]


def test_a_new_asset_changes_the_list_tag(api: APIClient, asset: Asset) -> None:
    before = api.get("/api/v1/assets/")
    ingest(io.BytesIO(images.jpeg()), filename="y.jpg")
    assert api.get("/api/v1/assets/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_errors_and_the_browsable_api_carry_no_tag(api: APIClient, admin_client, asset: Asset) -> None:
    missing = api.get("/api/v1/assets/00000000-0000-4000-8000-000000000000/", HTTP_IF_NONE_MATCH="*")
    assert_problem(missing, 404, "not_found")
    assert "ETag" not in missing
    html = admin_client.get(detail(asset), HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and "ETag" not in html
