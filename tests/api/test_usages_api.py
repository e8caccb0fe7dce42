"""Usages: the consuming app tells dam where it uses an asset (``assets/{id}/usages/{external_id}``),
and the asset JSON counts them (``usage_count``, the ``used=`` filter).

Who may call what is in test_permissions.py (every endpoint × every kind of caller)."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from assets.ingest import AssetFields, ingest
from assets.models import ApiKey, Asset, AssetUsage
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def new_asset(name: str = "photo.jpg", **fields) -> Asset:
    return ingest(io.BytesIO(images.jpeg((64, 48))), filename=name, fields=AssetFields(**fields))


def usages_url(asset: Asset | str, external_id: str | None = None) -> str:
    base = f"/api/v1/assets/{getattr(asset, 'id', asset)}/usages/"
    return base if external_id is None else base + external_id


def put(client: APIClient, asset: Asset, external_id: str, **body):
    return client.put(usages_url(asset, external_id), body, format="json")


# --- create, replace, read, list, delete ------------------------------------------------------


def test_the_round_trip_put_list_replace_delete(api: APIClient) -> None:
    # given
    asset = new_asset()
    # when: created
    created = put(api, asset, "article:4711", url="https://app.example/articles/4711", label="Forest feature")
    # then
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"external_id", "url", "label", "created_at", "updated_at"}
    assert (body["external_id"], body["url"], body["label"]) == (
        "article:4711", "https://app.example/articles/4711", "Forest feature",
    )  # fmt: skip
    # when: the same PUT again (a retry): nothing changes
    again = put(api, asset, "article:4711", url="https://app.example/articles/4711", label="Forest feature")
    assert again.status_code == 200 and again.json() == body
    # when: replaced (a PUT is the whole usage: the label left out becomes empty)
    replaced = put(api, asset, "article:4711", url="https://app.example/articles/4711-forest")
    assert replaced.status_code == 200
    assert (replaced.json()["url"], replaced.json()["label"]) == (
        "https://app.example/articles/4711-forest",
        "",
    )
    assert replaced.json()["created_at"] == body["created_at"]
    assert replaced.json()["updated_at"] > body["updated_at"]
    # then: one usage, listed and readable
    listed = api.get(usages_url(asset)).json()
    assert set(listed) == {"next", "previous", "results"}
    assert [u["external_id"] for u in listed["results"]] == ["article:4711"]
    assert api.get(usages_url(asset, "article:4711")).json() == replaced.json()
    # when: deleted, then deleted again
    assert api.delete(usages_url(asset, "article:4711")).status_code == 204
    assert_problem(api.delete(usages_url(asset, "article:4711")), 404, "not_found")
    assert_problem(api.get(usages_url(asset, "article:4711")), 404, "not_found")
    assert api.get(usages_url(asset)).json()["results"] == []
    assert not AssetUsage.objects.exists()


def test_usages_belong_to_their_asset(api: APIClient) -> None:
    # given the same external id on two assets
    first, second = new_asset("a.jpg"), new_asset("b.jpg")
    assert put(api, first, "page:home", url="https://app.example/").status_code == 201
    assert put(api, second, "page:home", url="https://app.example/").status_code == 201
    # when one is removed
    assert api.delete(usages_url(first, "page:home")).status_code == 204
    # then the other stays
    assert [u["external_id"] for u in api.get(usages_url(second)).json()["results"]] == ["page:home"]
    assert api.get(usages_url(first)).json()["results"] == []


def test_the_writer_is_recorded_key_or_staff_user() -> None:
    # given a key and a staff user with the change permission
    asset = new_asset()
    key, raw = ApiKey.issue("rails")
    by_key = APIClient()
    by_key.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    editor = User.objects.create_user("editor", is_staff=True)
    editor.user_permissions.set(Permission.objects.filter(codename__in=["view_asset", "change_asset"]))
    by_user = APIClient()
    by_user.force_login(editor)
    # when each writes one (and the user then replaces the key's)
    assert put(by_key, asset, "a", url="https://app.example/a").status_code == 201
    assert put(by_user, asset, "b", url="https://app.example/b").status_code == 201
    # then
    rows = {u.external_id: u for u in AssetUsage.objects.all()}
    assert (rows["a"].updated_by_key, rows["a"].updated_by) == (key, None)
    assert (rows["b"].updated_by_key, rows["b"].updated_by) == (None, editor)
    assert put(by_user, asset, "a", url="https://app.example/a2").status_code == 200
    rows["a"].refresh_from_db()
    assert (rows["a"].updated_by_key, rows["a"].updated_by) == (None, editor)


def test_the_list_is_cursor_paginated_newest_first(api: APIClient) -> None:
    asset = new_asset()
    for n in range(5):
        assert put(api, asset, f"product:{n}", url=f"https://shop.example/p/{n}").status_code == 201
    first = api.get(usages_url(asset), {"page_size": 2}).json()
    assert [u["external_id"] for u in first["results"]] == ["product:4", "product:3"]
    second = api.get(first["next"]).json()
    assert [u["external_id"] for u in second["results"]] == ["product:2", "product:1"]
    body = assert_problem(api.get(usages_url(asset), {"page_size": 0}), 400, "invalid")
    assert "page_size" in body["errors"]
    body = assert_problem(api.get(usages_url(asset), {"tag": "x"}), 400, "invalid")
    assert "tag" in body["errors"]
    assert_problem(api.get(usages_url(asset), {"cursor": "garbage!"}), 400, "invalid")


def test_an_unknown_asset_is_404_for_every_call(api: APIClient) -> None:
    missing = str(uuid.uuid4())
    assert_problem(api.get(usages_url(missing)), 404, "not_found")
    assert_problem(api.get(usages_url(missing, "a")), 404, "not_found")
    assert_problem(
        api.put(usages_url(missing, "a"), {"url": "https://x.example/"}, format="json"), 404, "not_found"
    )
    assert_problem(api.delete(usages_url(missing, "a")), 404, "not_found")
    # 36 characters of the id's alphabet that are not a UUID
    assert_problem(api.get(usages_url("-" * 36)), 404, "not_found")
    assert not AssetUsage.objects.exists()


def test_other_methods_are_405_and_options_and_the_browsable_api_work(api: APIClient, admin_client) -> None:
    # given
    asset = new_asset()
    put(api, asset, "a", url="https://app.example/")
    # then: the list takes no write, the usage no POST or PATCH
    for method, path in [("put", usages_url(asset)), ("delete", usages_url(asset)), ("post", usages_url(asset)),
                         ("post", usages_url(asset, "a")), ("patch", usages_url(asset, "a"))]:  # fmt: skip
        assert_problem(getattr(api, method)(path, {}, format="json"), 405, "method_not_allowed")
    # and OPTIONS describes both; staff browse them
    for path in (usages_url(asset), usages_url(asset, "a"), usages_url(asset, "a/")):
        assert api.options(path).json()["name"] == "Asset Usage"
        assert admin_client.get(path, HTTP_ACCEPT="text/html").status_code == 200
    assert AssetUsage.objects.count() == 1


# --- the external id: one path segment ---------------------------------------------------------


@pytest.mark.parametrize(
    "external_id", ["a", "article:4711", "gid:app:Article:12", "v1.2_x-y", "A" * 255, "..a"]
)
def test_allowed_external_ids(api: APIClient, external_id: str) -> None:
    asset = new_asset()
    response = put(api, asset, external_id, url="https://app.example/")
    assert response.status_code == 201, response.content
    assert response.json()["external_id"] == external_id
    assert api.get(usages_url(asset, external_id)).status_code == 200


@pytest.mark.parametrize(
    "path_segment",
    [
        "a%2Fb",  # an encoded "/" arrives decoded: refused, never "no such endpoint"
        "a/b",
        "article%204711",  # a space
        "caf%C3%A9",  # not ASCII
        "a%00b",  # NUL
        "a+b",
        "a%25b",  # "%"
        "..",
        ".",
        "%2E%2E",
        "A" * 256,
    ],
)
def test_refused_external_ids_are_invalid_external_id(api: APIClient, path_segment: str) -> None:
    # given
    asset = new_asset()
    # when / then: every verb answers the same stable code, and nothing is written
    for response in (
        api.put(usages_url(asset, path_segment), {"url": "https://app.example/"}, format="json"),
        api.get(usages_url(asset, path_segment)),
        api.delete(usages_url(asset, path_segment)),
    ):
        body = assert_problem(response, 400, "invalid_external_id")
        assert "external_id" in body["errors"]
    assert not AssetUsage.objects.exists()


def test_a_trailing_slash_is_the_same_usage(api: APIClient) -> None:
    asset = new_asset()
    assert (
        api.put(usages_url(asset, "page:home/"), {"url": "https://app.example/"}, format="json").status_code
        == 201
    )
    assert api.get(usages_url(asset, "page:home")).status_code == 200
    assert api.delete(usages_url(asset, "page:home/")).status_code == 204


# --- the body ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": ""}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://files.example/a"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://app.example/" + "a" * 2000}, "url"),
        ({"url": "https://app.example/\x00"}, "url"),
        ({"url": None}, "url"),
        ({"url": "https://app.example/", "label": "x" * 256}, "label"),
        ({"url": "https://app.example/", "label": None}, "label"),
        ({"url": "https://app.example/", "lable": "typo"}, "lable"),
    ],
)
def test_a_bad_body_is_400_invalid_and_writes_nothing(api: APIClient, body: dict, field: str) -> None:
    # given an existing usage
    asset = new_asset()
    assert put(api, asset, "a", url="https://app.example/first", label="First").status_code == 201
    # when it is replaced with a bad body
    response = api.put(usages_url(asset, "a"), body, format="json")
    # then
    problem = assert_problem(response, 400, "invalid")
    assert field in problem["errors"], problem
    assert list(AssetUsage.objects.values_list("url", "label")) == [("https://app.example/first", "First")]


def test_the_longest_url_and_label_fit(api: APIClient) -> None:
    asset = new_asset()
    url = "https://app.example/" + "a" * (2000 - len("https://app.example/"))
    response = put(api, asset, "a", url=url, label="é" * 255)
    assert response.status_code == 201, response.content
    assert AssetUsage.objects.get().url == url


def test_the_body_must_be_json(api: APIClient) -> None:
    asset = new_asset()
    assert_problem(
        api.put(usages_url(asset, "a"), {"url": "https://app.example/"}), 415, "unsupported_media_type"
    )
    assert_problem(
        api.put(usages_url(asset, "a"), b"{not json", content_type="application/json"), 400, "parse_error"
    )
    assert_problem(api.put(usages_url(asset, "a"), [1, 2], format="json"), 400, "invalid")
    assert not AssetUsage.objects.exists()


# --- the asset JSON: usage_count and used= ----------------------------------------------------


def test_usage_count_in_list_detail_and_after_an_edit(api: APIClient) -> None:
    # given
    used, unused = new_asset("used.jpg"), new_asset("unused.jpg")
    for n in range(3):
        put(api, used, f"a:{n}", url="https://app.example/")
    # then
    counts = {a["id"]: a["usage_count"] for a in api.get("/api/v1/assets/").json()["results"]}
    assert counts == {str(used.id): 3, str(unused.id): 0}
    assert api.get(f"/api/v1/assets/{used.id}/").json()["usage_count"] == 3
    assert (
        api.get("/api/v1/assets/", {"ids": f"{used.id},{unused.id}"}).json()["results"][0]["usage_count"] == 3
    )
    edited = api.patch(f"/api/v1/assets/{used.id}/", {"title": "x"}, format="json")
    assert edited.json()["usage_count"] == 3


def test_a_new_asset_is_used_nowhere(api: APIClient) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post(
        "/api/v1/assets/", {"file": SimpleUploadedFile("a.jpg", images.jpeg())}, format="multipart"
    )
    assert response.status_code == 201 and response.json()["usage_count"] == 0


def test_the_used_filter(api: APIClient) -> None:
    # given
    used, unused = new_asset("used.jpg", tags=["x"]), new_asset("unused.jpg", tags=["x"])
    put(api, used, "a", url="https://app.example/")
    put(api, used, "b", url="https://app.example/")

    def ids(**params) -> list[str]:
        response = api.get("/api/v1/assets/", params)
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["results"]]

    # then: each asset once (two usages are not two rows), any case, with other filters
    assert ids(used="true") == [str(used.id)]
    assert ids(used="TRUE", tag="x") == [str(used.id)]
    assert ids(used="false") == [str(unused.id)]
    assert ids(used="False", tag="x") == [str(unused.id)]
    assert ids() == [str(unused.id), str(used.id)]
    for bad in ("", "yes", "1", "maybe"):
        body = assert_problem(api.get("/api/v1/assets/", {"used": bad}), 400, "invalid")
        assert "used" in body["errors"], bad


def test_the_asset_etag_changes_with_its_usages(api: APIClient) -> None:
    asset = new_asset()
    first = api.get(f"/api/v1/assets/{asset.id}/")
    put(api, asset, "a", url="https://app.example/")
    again = api.get(f"/api/v1/assets/{asset.id}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again.json()["usage_count"] == 1


def test_the_list_query_count_stays_flat_with_usages_and_the_used_filter(api: APIClient) -> None:
    # given twelve assets, most used in a few places
    for i in range(12):
        asset = new_asset(f"{i}.jpg")
        for n in range(i % 4):
            AssetUsage.objects.create(asset=asset, external_id=f"p:{n}", url="https://app.example/")
    api.get("/api/v1/assets/", {"page_size": 1})  # the key's last_used_at is written once per 5 min
    # when
    counts = {}
    for params in ({"page_size": 2}, {"page_size": 12}, {"page_size": 12, "used": "true"},
                   {"page_size": 12, "used": "false"}):  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/assets/", params)
            assert response.status_code == 200
        counts[str(params)] = len(queries)
    # then
    assert len(set(counts.values())) == 1, counts
    assert (
        sum(a["usage_count"] for a in api.get("/api/v1/assets/", {"page_size": 12}).json()["results"]) == 18
    )


# --- deleting an asset in use -----------------------------------------------------------------


def test_deleting_a_used_asset_through_the_api_is_allowed_and_takes_its_usages(api: APIClient) -> None:
    asset = new_asset()
    put(api, asset, "a", url="https://app.example/")
    assert api.delete(f"/api/v1/assets/{asset.id}/").status_code == 204
    assert not AssetUsage.objects.exists()
    assert_problem(api.get(usages_url(asset)), 404, "not_found")


# --- concurrency (PostgreSQL: real row locks) -----------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks; SQLite serialises writers anyway")
@pytest.mark.django_db(transaction=True)
def test_concurrent_puts_of_one_id_make_one_usage() -> None:
    # given
    asset = new_asset()
    _, raw = ApiKey.issue("rails")
    statuses: list[int] = []
    start = threading.Barrier(6)

    def writer(n: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        start.wait()
        try:
            statuses.append(put(client, asset, "article:1", url=f"https://app.example/{n}").status_code)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sorted(statuses) == [200] * 5 + [201], statuses
    assert AssetUsage.objects.filter(asset=asset).count() == 1
