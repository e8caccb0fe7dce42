"""API v1: auth, assets (list/create/detail/update/delete), specs, signed URLs, errors."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image
from rest_framework.test import APIClient

from api.permissions import PerClientThrottle
from assets.models import ApiKey, Asset
from renditions.models import Rendition, RenditionSpec
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db(transaction=True)


# --- authentication ---------------------------------------------------------------------------


def test_missing_unknown_and_revoked_keys_are_401(api: APIClient) -> None:
    assert_problem(APIClient().get("/api/v1/assets/"), 401, "not_authenticated")
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Api-Key dam_nope")
    assert_problem(stranger.get("/api/v1/assets/"), 401, "not_authenticated")
    key, raw = ApiKey.issue("old")
    key.revoked_at = key.created_at
    key.save()
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = revoked.get("/api/v1/assets/")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_keys_are_hashed_at_rest_and_track_use(api: APIClient) -> None:
    key, raw = ApiKey.issue("x")
    assert raw not in {key.hashed_key, key.prefix} and len(key.hashed_key) == 64
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    client.get("/api/v1/assets/")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_read_only_keys_cannot_write(read_only_api: APIClient, make_asset) -> None:
    asset = make_asset()
    assert read_only_api.get(f"/api/v1/assets/{asset.id}/").status_code == 200
    assert_problem(
        read_only_api.patch(f"/api/v1/assets/{asset.id}/", {"title": "x"}, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(read_only_api.delete(f"/api/v1/assets/{asset.id}/"), 403, "permission_denied")


def test_staff_session_works_for_the_browsable_api(admin_client) -> None:
    response = admin_client.get("/api/v1/assets/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"Asset" in response.content


def test_create_api_key_command_prints_the_key_alone_on_the_last_line(capsys) -> None:
    call_command("create_api_key", "rails-production", "--read-only")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("dam_") and " " not in last
    key = ApiKey.objects.get(name="rails-production")
    assert key.read_only and key.hashed_key == ApiKey.digest(last)


# --- list -----------------------------------------------------------------------------------------


def test_list_is_cursor_paginated_newest_first(api: APIClient, make_asset) -> None:
    made = [make_asset(f"p{i}.jpg") for i in range(5)]
    first = api.get("/api/v1/assets/", {"page_size": 2}).json()
    assert set(first) == {"next", "previous", "results"}
    assert [a["id"] for a in first["results"]] == [str(made[4].id), str(made[3].id)]
    second = api.get(first["next"]).json()
    assert [a["id"] for a in second["results"]] == [str(made[2].id), str(made[1].id)]
    assert second["previous"]
    largest = api.get("/api/v1/assets/", {"page_size": 200})
    assert largest.status_code == 200 and len(largest.json()["results"]) == 5


def test_list_filters(api: APIClient, make_asset) -> None:
    harbour = make_asset("harbour.jpg", alt_text="boats at dusk", tags=["sea", "news"])
    logo = make_asset("logo.png", data=images.png(), title="Logo")

    def ids(**params) -> list[str]:
        response = api.get("/api/v1/assets/", params)
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["results"]]

    assert ids(tag="sea") == [str(harbour.id)]
    assert ids(q="boats") == [str(harbour.id)]
    assert ids(q="logo.png") == [str(logo.id)]
    assert ids(format="png") == [str(logo.id)]
    assert ids(status="ready") == [str(logo.id), str(harbour.id)]
    assert ids(checksum=logo.sha256) == [str(logo.id)]
    assert ids(created_after=harbour.created_at.isoformat()) == [str(logo.id)]
    assert ids(updated_after="2999-01-01T00:00:00Z") == []
    body = assert_problem(api.get("/api/v1/assets/", {"created_after": "yesterday"}), 400, "invalid")
    assert "created_after" in body["errors"]


def test_list_queries_do_not_grow_with_the_page_and_touch_no_storage(
    api: APIClient, make_asset, settings, tmp_path
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dam.storage_config import filesystem_storages
    from tests.renditions.test_urls import CALLS

    for i in range(12):
        make_asset(f"{i}.jpg", tags=["a", f"t{i}"])
    spied = filesystem_storages(tmp_path)
    for alias in ("originals", "renditions", "uploads"):
        spied[alias]["BACKEND"] = "tests.renditions.test_urls.SpyStorage"
    settings.STORAGES = {**settings.STORAGES, **spied}
    api.get("/api/v1/assets/", {"page_size": 1})  # the key's last_used_at is written once per 5 min
    CALLS.clear()
    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get("/api/v1/assets/", {"page_size": size}).json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert sum(CALLS.values()) == 0, CALLS
    # and the detail: a fixed handful of queries (asset, tags, specs, renditions), no storage call
    asset_id = Asset.objects.values_list("pk", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/v1/assets/{asset_id}/").status_code == 200
    assert len(queries) <= counts[0], [q["sql"] for q in queries.captured_queries]
    assert sum(CALLS.values()) == 0, CALLS


# --- create / detail / update / delete ------------------------------------------------------------


def test_multipart_create(api: APIClient, storage) -> None:
    # when
    response = api.post("/api/v1/assets/", {
        "file": SimpleUploadedFile("Harbour.JPG", images.jpeg((640, 480)), content_type="image/jpeg"),
        "title": "Harbour", "alt_text": "Boats", "tags": ["Sea", "news"], "focal_point": "0.25,0.75",
    }, format="multipart")  # fmt: skip
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["filename"], body["width"], body["height"]) == (
        "Harbour",
        "Harbour.JPG",
        640,
        480,
    )
    assert body["tags"] == ["news", "sea"]
    assert body["focal_point"] == {"x": 0.25, "y": 0.75, "source": "editor"}
    assert body["content_type"] == "image/jpeg" and len(body["checksum"]) == 64
    assert body["created_at"].endswith("Z")
    thumb = body["renditions"]["thumb"]
    assert thumb["url"].startswith("http://testserver/r/") and thumb["status"] == "pending"
    assert "image/webp" in body["srcset"] and " 480w" in body["srcset"]["image/webp"]
    fetched = api.get(thumb["url"])
    assert fetched.status_code in (200, 302)
    assert len(storage.names()) >= 2


@pytest.mark.parametrize(("fields", "expected"), [
    ({"tags[]": ["Sea", "news"]}, ["news", "sea"]),  # Rails / Faraday arrays
    ({"tags": ["Sea", "news"]}, ["news", "sea"]),  # the field repeated
    ({"tags": "Sea, news"}, ["news", "sea"]),  # as editors type them
    ({"tags": "sea", "tags[]": ["news", "sea"]}, ["news", "sea"]),  # both spellings: one list
    ({"tags[0]": "sea", "tags[1]": "news"}, ["news", "sea"]),  # indexed
])  # fmt: skip
def test_multipart_tags_in_every_form_spelling(api: APIClient, fields: dict, expected: list[str]) -> None:
    # when an asset is created with its tags in a form, then retagged the same way
    upload = SimpleUploadedFile("x.jpg", images.jpeg(), content_type="image/jpeg")
    created = api.post("/api/v1/assets/", {"file": upload, **fields}, format="multipart")
    retagged = api.patch(f"/api/v1/assets/{created.json()['id']}/", {"tags[]": ["other"]}, format="multipart")
    # then
    assert created.status_code == 201, created.content
    assert created.json()["tags"] == expected
    assert retagged.status_code == 200, retagged.content
    assert retagged.json()["tags"] == ["other"]


def test_an_empty_rails_array_clears_the_tags(api: APIClient, make_asset) -> None:
    asset = make_asset(tags=["sea"])
    response = api.patch(f"/api/v1/assets/{asset.id}/", {"tags[]": ""}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["tags"] == []


@pytest.mark.parametrize(("data", "code"), [(b"", "empty_file"), (images.html(), "invalid_image"),
                                            (images.truncated_jpeg(), "corrupt_image"), (images.svg(), "unsupported_format")])  # fmt: skip
def test_multipart_create_rejections_leave_nothing(api: APIClient, storage, data: bytes, code: str) -> None:
    response = api.post("/api/v1/assets/", {"file": SimpleUploadedFile("x.jpg", data)}, format="multipart")
    assert_problem(response, 400, code)
    assert not Asset.objects.exists() and storage.names() == set()


def test_create_without_a_file_is_a_validation_error(api: APIClient) -> None:
    body = assert_problem(api.post("/api/v1/assets/", {"title": "x"}, format="multipart"), 400, "invalid")
    assert "file" in body["errors"]


@pytest.mark.parametrize(
    ("body", "fmt", "field", "says"),
    [
        ({"titel": "typo"}, "json", "titel", "Unknown field; writable: title, alt_text"),
        ({"alt_text": "ok", "alt_txt": "typo"}, "json", "alt_txt", "Unknown field"),
        ({"width": 10}, "json", "width", "Read-only"),
        ({"titel": "typo"}, "multipart", "titel", "Unknown field"),
    ],
)  # fmt: skip
def test_a_field_that_cannot_be_written_is_refused_not_ignored(api: APIClient, make_asset, body, fmt, field,
                                                                says) -> None:  # fmt: skip
    # given an asset
    asset = make_asset()
    url = f"/api/v1/assets/{asset.id}/"
    # when the Rails app sends a misspelt or read-only field (with a good one, sometimes)
    errors = assert_problem(api.patch(url, body, format=fmt), 400, "invalid")["errors"]
    # then the request is refused, naming the field, and nothing changed
    assert list(errors) == [field] and errors[field][0].startswith(says)
    asset.refresh_from_db()
    assert (asset.alt_text, asset.width) == ("", 120)


def test_an_unknown_rights_member_is_invalid_rights(api: APIClient, make_asset) -> None:
    asset = make_asset()
    url = f"/api/v1/assets/{asset.id}/"
    json_body = assert_problem(
        api.patch(url, {"rights": {"licnce": "cc_by"}}, format="json"), 400, "invalid_rights"
    )
    form_body = assert_problem(
        api.patch(url, {"rights[licnce]": "cc_by"}, format="multipart"), 400, "invalid_rights"
    )
    for body in (json_body, form_body):
        assert body["errors"]["rights"]["licnce"][0].startswith("Unknown member; writable: licence")
    # the spellings a Rails form uses still work
    assert (
        api.patch(url, {"rights[licence]": "cc_by", "tags[]": ["a"]}, format="multipart").status_code == 200
    )


def test_detail_update_and_delete(api: APIClient, make_asset, storage, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    asset = make_asset()
    url = f"/api/v1/assets/{asset.id}/"
    before = api.get(url).json()
    assert api.get(before["renditions"]["small"]["url"]).status_code == 200
    # PATCH: metadata and the focal point (which changes the URLs of cropping specs)
    response = api.patch(
        url, {"title": "New", "tags": ["x"], "focal_point": {"x": 0.1, "y": 0.2}}, format="json"
    )
    assert response.status_code == 200, response.content
    after = response.json()
    assert (after["title"], after["tags"], after["focal_point"]) == (
        "New", ["x"], {"x": 0.1, "y": 0.2, "source": "editor"}
    )  # fmt: skip
    assert after["renditions"]["thumb"]["url"] != before["renditions"]["thumb"]["url"]  # fill: crops
    # every other URL stays, and the file already made behind it is still the one served
    for name in ("small", "medium", "large"):
        assert after["renditions"][name]["url"] == before["renditions"][name]["url"]
    assert after["renditions"]["small"]["status"] == "ready"
    body = assert_problem(api.patch(url, {"focal_point": {"x": 2, "y": 0}}, format="json"), 400, "invalid")
    assert "focal_point" in body["errors"]
    # DELETE: row, original and renditions gone
    assert Rendition.objects.filter(asset=asset).exists()
    assert api.delete(url).status_code == 204
    assert not Asset.objects.exists() and not Rendition.objects.exists()
    assert storage.names() == set()
    assert_problem(api.get(url), 404, "not_found")


def test_rendition_specs(api: APIClient) -> None:
    specs = {s["name"]: s for s in api.get("/api/v1/rendition-specs/").json()}
    assert specs["thumb"] == {"name": "thumb", "spec": "fill-200x200|format-webp", "description": specs["thumb"]["description"],
                              "eager": False, "max_width": 200, "max_height": 200, "width": 200, "height": 200,
                              "format": "webp"}  # fmt: skip
    assert (specs["small"]["max_width"], specs["small"]["max_height"]) == (480, None)


def test_a_spec_size_is_an_upper_bound_and_the_asset_has_the_real_one(api: APIClient, make_asset) -> None:
    # given a 16:9 spec and an 800×400 original, smaller than the spec's box
    RenditionSpec.objects.create(name="hd", spec="fill-1920x1080")
    asset = make_asset(data=images.jpeg((800, 400)))
    # when
    spec = next(s for s in api.get("/api/v1/rendition-specs/").json() if s["name"] == "hd")
    rendition = api.get(f"/api/v1/assets/{asset.id}/").json()["renditions"]["hd"]
    # then the spec says "at most", the asset says what it gets (the crop to 16:9, never upscaled)
    assert (spec["max_width"], spec["max_height"]) == (1920, 1080)
    assert (rendition["width"], rendition["height"]) == (711, 400)


def test_srcset_lists_each_width_once_when_the_source_is_smaller_than_several_specs(
    api: APIClient, make_asset
) -> None:
    # given a 300-pixel-wide original: small (480), medium (960) and large (1600) all come out 300 wide
    asset = make_asset(data=images.jpeg((300, 150)))
    RenditionSpec.objects.create(name="tiny", spec="width-100|format-webp")
    # when
    srcset = api.get(f"/api/v1/assets/{asset.id}/").json()["srcset"]["image/webp"]
    # then one candidate per real width, narrowest first
    widths = [candidate.rsplit(" ", 1)[1] for candidate in srcset.split(", ")]
    assert widths == ["100w", "300w"], srcset


def test_signed_urls(api: APIClient, make_asset, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    asset = make_asset()
    response = api.post(
        f"/api/v1/assets/{asset.id}/urls/",
        {"specs": ["format-png|fit-60x60", "width-30|format-webp"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    urls = response.json()["urls"]
    assert [u["spec"] for u in urls] == ["fit-60x60|format-png", "width-30|format-webp"]
    assert (urls[0]["width"], urls[0]["height"], urls[0]["content_type"]) == (60, 40, "image/png")
    image = Image.open(io.BytesIO(b"".join(api.get(urls[0]["url"]).streaming_content)))
    assert image.size == (60, 40)
    expiring = api.post(
        f"/api/v1/assets/{asset.id}/urls/", {"specs": ["width-10"], "expires_in": 60}, format="json"
    )
    assert "-" in expiring.json()["urls"][0]["url"].split("/")[5]
    body = assert_problem(api.post(f"/api/v1/assets/{asset.id}/urls/", {"specs": ["fit-10x10", "fill-0x1"]}, format="json"),
                          400, "invalid_spec")  # fmt: skip
    assert "1" in body["errors"]["specs"] and "0" not in body["errors"]["specs"]


@pytest.mark.parametrize("storage", ["filesystem"], indirect=True)  # validation: one storage is enough
@pytest.mark.parametrize(("body", "problems"), [
    ('{"specs": ["fit-10x10", "fill-0x1"]}', {"1"}),
    ('{"specs": ["fit-10x10", "a\\u0000b"]}', {"1"}),  # a NUL
    ('{"specs": ["\\ud800", "fit-10x10"]}', {"0"}),  # a lone surrogate (not even encodable)
    ('{"specs": [1, null, {"a": 1}, ["fit-10x10"], true]}', {"0", "1", "2", "3", "4"}),  # not strings
    ('{"specs": ["", "  "]}', {"0", "1"}),  # empty
    ('{"specs": ["' + "width-10|" * 100 + 'width-10"]}', {"0"}),  # over the length cap
])  # fmt: skip
def test_every_problem_with_a_spec_is_invalid_spec_keyed_by_its_index(
    api: APIClient, make_asset, body: str, problems: set[str]
) -> None:
    asset = make_asset()
    response = api.post(f"/api/v1/assets/{asset.id}/urls/", body, content_type="application/json")
    errors = assert_problem(response, 400, "invalid_spec")["errors"]
    assert set(errors) == {"specs"} and set(errors["specs"]) == problems


@pytest.mark.parametrize("storage", ["filesystem"], indirect=True)  # validation: one storage is enough
@pytest.mark.parametrize(("body", "field"), [
    ('{"specs": "fit-10x10"}', "specs"),  # not a list
    ('{"specs": []}', "specs"),
    ('{"specs": [' + ", ".join(['"width-10"'] * 51) + "]}", "specs"),
    ("{}", "specs"),
    ('{"specs": null}', "specs"),
    ('["fit-10x10"]', "non_field_errors"),
    ('{"specs": ["width-10"], "expires_in": "soon"}', "expires_in"),
    ('{"specs": ["width-10"], "expires_in": 0}', "expires_in"),
    ('{"specs": ["fill-0x0"], "expires_in": 0}', "expires_in"),  # a bad body and a bad spec: the body's code
])  # fmt: skip
def test_every_problem_with_the_urls_body_is_invalid(
    api: APIClient, make_asset, body: str, field: str
) -> None:
    asset = make_asset()
    response = api.post(f"/api/v1/assets/{asset.id}/urls/", body, content_type="application/json")
    assert field in assert_problem(response, 400, "invalid")["errors"]


# --- errors ---------------------------------------------------------------------------------------


def test_errors_are_always_problem_json(api: APIClient) -> None:
    nowhere = api.get("/api/v1/assets/not-a-uuid/")
    assert "wrong form" in assert_problem(nowhere, 404, "not_found")["detail"]
    assert b'","' in nowhere.content and b'", "' not in nowhere.content  # compact, like DRF's own
    assert_problem(api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert_problem(api.get("/api/v1/assets/00000000-0000-4000-8000-000000000000/"), 404, "not_found")
    assert_problem(api.put("/api/v1/assets/", {}, format="json"), 405, "method_not_allowed")
    bad_json = api.post("/api/v1/uploads/", "{nope", content_type="application/json")
    assert_problem(bad_json, 400, "parse_error")


def test_throttling_is_per_key_with_retry_after(api: APIClient, monkeypatch) -> None:
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(PerClientThrottle, "THROTTLE_RATES", {"client": "2/min"})
    first, second = api.get("/api/v1/rendition-specs/"), api.get("/api/v1/rendition-specs/")
    assert first.status_code == second.status_code == 200
    # each answer says what is left of the budget, so a client can slow down before a 429
    assert (first["RateLimit-Limit"], first["RateLimit-Remaining"], second["RateLimit-Remaining"]) == (
        "2",
        "1",
        "0",
    )
    assert first["RateLimit-Policy"] == "2;w=60" and 0 < int(first["RateLimit-Reset"]) <= 60
    response = api.get("/api/v1/rendition-specs/")
    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert (
        response["RateLimit-Remaining"] == "0"
        and int(response["RateLimit-Reset"]) >= int(response["Retry-After"]) - 1
    )
    _, raw = ApiKey.issue("other")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert other.get("/api/v1/rendition-specs/").status_code == 200  # its own budget
    cache.clear()


def test_storage_down_is_503_with_retry_after(api: APIClient, settings) -> None:
    from dam.storage_config import s3_client_config, s3_storages

    settings.STORAGES = {**settings.STORAGES, **s3_storages(
        bucket="nowhere", endpoint_url="http://127.0.0.1:9", region="us-east-1",
        client_config=s3_client_config(connect_timeout=0.2, read_timeout=0.2))}  # fmt: skip
    response = api.post(
        "/api/v1/assets/", {"file": SimpleUploadedFile("x.jpg", images.jpeg())}, format="multipart"
    )
    assert_problem(response, 503, "overloaded")
    assert int(response["Retry-After"]) >= 1
    assert not Asset.objects.exists()
