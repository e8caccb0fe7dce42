"""List parameters: validated as a form (django-filter). Bad input is 400 `invalid` naming the
field, never a 500 (PostgreSQL refuses NUL bytes outright), and unknown parameters are refused."""

from __future__ import annotations

import base64
import io

import pytest
from rest_framework.test import APIClient

from assets.ingest import AssetFields, ingest
from assets.models import Asset
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_asset(filesystem_storage):
    """Assets on local storage only: these tests are about parameters, not storage."""

    def make(name: str = "photo.jpg", data: bytes | None = None, **fields) -> Asset:
        return ingest(io.BytesIO(data or images.jpeg((120, 80))), filename=name, fields=AssetFields(**fields))

    return make


def cursor_of(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD = [
    ("q", "%00"),
    ("q", "a" * 201),
    ("tag", "a%00b"),
    ("tag", "t" * 65),
    ("checksum", "%00"),
    ("checksum", "abc"),
    ("checksum", "g" * 64),
    ("created_after", "2026-13-45T99:00:00Z"),
    ("created_after", "yesterday"),
    ("updated_after", "2026-01-01T00:00:00Z%00"),
    ("format", "tiff"),
    ("format", "%00"),
    ("status", "gone"),
    ("page_size", "0"),
    ("page_size", "201"),
    ("page_size", "-1"),
    ("page_size", "ten"),
    ("page_size", "1e3"),
    ("cursor", "garbage!"),
    ("cursor", cursor_of("p=not-a-date")),
    ("cursor", cursor_of("p=2026-01-01\x00")),
    ("cursor", cursor_of("o=-5")),
    ("cursor", "%00"),
    ("include_descendants", "maybe"),
    ("used", "yes please"),
]


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{n}={v[:20]}" for n, v in BAD])
def test_bad_parameters_are_400_invalid_naming_the_field(
    api: APIClient, make_asset, name: str, value: str
) -> None:
    # given
    make_asset()
    # when (a raw query string: %00 reaches the server as a NUL byte)
    response = api.get(f"/api/v1/assets/?{name}={value}")
    # then
    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == [name], body
    assert all(isinstance(message, str) and message for message in body["errors"][name])


def test_unknown_parameters_are_refused_by_name(api: APIClient, make_asset) -> None:
    make_asset()
    # a typo (`id=` for `ids=`) must not return the whole list
    body = assert_problem(api.get("/api/v1/assets/?id=1,2&tag=sea&Status=ready"), 400, "invalid")
    assert set(body["errors"]) == {"id", "Status"}
    assert "tag" in body["errors"]["id"][0]  # the message lists the known ones
    assert set(assert_problem(api.get("/api/v1/rendition-specs/?name=thumb"), 400, "invalid")["errors"]) == {
        "name"
    }


def test_parameters_are_case_insensitive_where_values_are(api: APIClient, make_asset) -> None:
    logo = make_asset("logo.png", data=images.png())
    for params in ({"format": "png"}, {"format": "PNG"}, {"status": "READY"}, {"checksum": logo.sha256.upper()},
                   {"tag": ""}, {"q": ""}):  # fmt: skip
        response = api.get("/api/v1/assets/", params)
        assert response.status_code == 200, (params, response.content)
        assert [a["id"] for a in response.json()["results"]] == [str(logo.id)], params


def test_pages_follow_with_every_parameter_kept(api: APIClient, make_asset) -> None:
    for i in range(3):
        make_asset(f"{i}.jpg", tags=["sea"])
    first = api.get("/api/v1/assets/", {"page_size": 2, "tag": "sea"}).json()
    second = api.get(first["next"])
    assert second.status_code == 200 and len(second.json()["results"]) == 1


def test_a_detail_url_ignores_list_parameters(api: APIClient, make_asset) -> None:
    asset = make_asset()
    assert api.get(f"/api/v1/assets/{asset.id}/?status=failed&whatever=1").status_code == 200
