"""Collections in the API: on the asset JSON, as a list filter, their own list, on create/update."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from assets.models import Collection
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db) -> dict[str, Collection]:
    root = Collection.default()
    news = Collection.objects.add_child(root, create_kwargs={"name": "News"})
    sport = Collection.objects.add_child(news, create_kwargs={"name": "Sport"})
    return {"root": root, "news": news, "sport": sport}


def test_the_asset_json_names_its_collection_by_id_and_path(api: APIClient, make_asset, tree) -> None:
    asset = make_asset(collection_id=tree["sport"].pk)
    body = api.get(f"/api/v1/assets/{asset.pk}/").json()
    assert body["collection"] == {"id": tree["sport"].pk, "path": "Library / News / Sport"}


def test_an_asset_without_a_collection_is_in_the_root(api: APIClient, make_asset, tree) -> None:
    body = api.get(f"/api/v1/assets/{make_asset().pk}/").json()
    assert body["collection"] == {"id": tree["root"].pk, "path": "Library"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"collection": "news"}, ["in-news"]),
        ({"collection": "news", "include_descendants": "true"}, ["in-news", "in-sport"]),
        ({"collection": "sport", "include_descendants": "true"}, ["in-sport"]),
        ({"collection": "root", "include_descendants": "true"}, ["in-news", "in-root", "in-sport"]),
        ({"collection": "root"}, ["in-root"]),
    ],
)
def test_the_list_filters_by_collection(api: APIClient, make_asset, tree, params, expected) -> None:
    # given one asset in each collection
    for name in ("root", "news", "sport"):
        make_asset(f"in-{name}.jpg", collection_id=tree[name].pk)
    # when
    query = {**params, "collection": str(tree[params["collection"]].pk)}
    body = api.get("/api/v1/assets/", query).json()
    # then
    assert sorted(a["title"] for a in body["results"]) == expected


def test_an_unknown_collection_is_a_400(api: APIClient, tree) -> None:
    body = assert_problem(api.get("/api/v1/assets/", {"collection": "999999"}), 400, "invalid")
    assert "collection" in body["errors"]


def test_the_list_keeps_its_query_count_with_collections(
    api: APIClient, make_asset, tree, django_assert_max_num_queries
) -> None:
    for index in range(6):
        make_asset(f"a{index}.jpg", collection_id=tree["sport" if index % 2 else "news"].pk)
    # key, touch, page, tags, specs, renditions, collection ancestors
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/assets/").status_code == 200


def test_the_collections_list_is_the_tree(api: APIClient, tree) -> None:
    body = api.get("/api/v1/collections/").json()
    assert body == [
        {"id": tree["root"].pk, "name": "Library", "path": "Library", "parent": None, "depth": 1},
        {"id": tree["news"].pk, "name": "News", "path": "Library / News", "parent": tree["root"].pk, "depth": 2},
        {"id": tree["sport"].pk, "name": "Sport", "path": "Library / News / Sport", "parent": tree["news"].pk,
         "depth": 3},
    ]  # fmt: skip


def test_create_and_update_accept_a_collection(api: APIClient, storage, tree) -> None:
    # when an asset is created in News
    created = api.post(
        "/api/v1/assets/", {"file": _upload(), "collection": str(tree["news"].pk)}, format="multipart"
    ).json()
    assert created["collection"]["id"] == tree["news"].pk
    # when it is moved to Sport
    moved = api.patch(f"/api/v1/assets/{created['id']}/", {"collection": tree["sport"].pk}, format="json")
    assert moved.json()["collection"] == {"id": tree["sport"].pk, "path": "Library / News / Sport"}
    # and to a collection that does not exist
    response = api.patch(f"/api/v1/assets/{created['id']}/", {"collection": 999999}, format="json")
    assert "collection" in assert_problem(response, 400, "invalid")["errors"]


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.jpg", images.jpeg(), content_type="image/jpeg")
