"""Collections in the admin: create, rename, move, delete (assets go to the parent, never lost),
and the library's tree filter; every test on local storage and on S3 (through moto)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from assets.ingest import AssetFields, ingest
from assets.models import Asset, Collection
from tests import images
from tests.conftest import StorageProbe

pytestmark = pytest.mark.django_db
ADD = "/admin/assets/collection/add/"


@pytest.fixture(autouse=True)
def on_both_storages(storage: StorageProbe) -> StorageProbe:
    return storage


@pytest.fixture
def tree(db) -> dict[str, Collection]:
    root = Collection.default()
    news = Collection.objects.add_child(root, create_kwargs={"name": "News"})
    sport = Collection.objects.add_child(news, create_kwargs={"name": "Sport"})
    features = Collection.objects.add_child(root, create_kwargs={"name": "Features"})
    return {"root": root, "news": news, "sport": sport, "features": features}


def add(name: str, collection: Collection) -> Asset:
    return ingest(io.BytesIO(images.jpeg()), filename=name, fields=AssetFields(collection_id=collection.pk))


def test_the_default_collection_is_made_once_and_holds_new_assets(db) -> None:
    first = ingest(io.BytesIO(images.jpeg()), filename="a.jpg")
    second = ingest(io.BytesIO(images.jpeg()), filename="b.jpg")
    assert first.collection == second.collection == Collection.default()
    assert Collection.objects.count() == 1 and first.collection.name == "Library"


def test_the_migration_put_existing_assets_in_the_root() -> None:
    import importlib

    migration = importlib.import_module("assets.migrations.0008_existing_assets_into_the_default_collection")
    assert Collection._get_path(None, 1, 1) == migration.ROOT_PATH  # treebeard's own first root path


def test_create_a_collection_inside_another(admin_client, tree) -> None:
    response = admin_client.post(ADD, {"name": "Politics", "treebeard_position": "sorted-child",
                                       "treebeard_ref_node": tree["news"].pk})  # fmt: skip
    assert response.status_code == 302
    politics = Collection.objects.get(name="Politics")
    assert Collection.objects.get_parent(politics) == tree["news"]


@pytest.mark.parametrize(
    ("position", "ref", "error"),
    [
        ("sorted-child", "", "Put it inside the library"),
        ("sorted-sibling", "root", "Put it inside the library"),
        ("sorted-child", "news", "There is already a collection named “Sport” there."),
    ],
)
def test_no_second_root_and_no_twin_names(admin_client, tree, position, ref, error) -> None:
    data = {
        "name": "Sport",
        "treebeard_position": position,
        "treebeard_ref_node": tree[ref].pk if ref else "",
    }
    response = admin_client.post(ADD, data)
    assert response.status_code == 200 and error in response.content.decode()
    assert Collection.objects.filter(name="Sport").count() == 1


def test_rename_and_move(admin_client, tree) -> None:
    url = reverse("admin:assets_collection_change", args=[tree["sport"].pk])
    response = admin_client.post(url, {"name": "Sports", "treebeard_position": "sorted-child",
                                       "treebeard_ref_node": tree["features"].pk})  # fmt: skip
    assert response.status_code == 302
    sport = Collection.objects.get(pk=tree["sport"].pk)
    assert sport.name == "Sports" and Collection.objects.get_parent(sport) == tree["features"]


def test_the_root_can_be_renamed_but_not_deleted(admin_client, tree) -> None:
    url = reverse("admin:assets_collection_change", args=[tree["root"].pk])
    assert admin_client.post(url, {"name": "Newsroom", "treebeard_position": "sorted-child",
                                   "treebeard_ref_node": ""}).status_code == 302  # fmt: skip
    assert Collection.default().name == "Newsroom"
    response = admin_client.post(
        reverse("admin:assets_collection_delete", args=[tree["root"].pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and Collection.objects.filter(pk=tree["root"].pk).exists()


def test_deleting_an_empty_collection(admin_client, tree) -> None:
    url = reverse("admin:assets_collection_delete", args=[tree["features"].pk])
    assert "It holds no assets." in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert not Collection.objects.filter(name="Features").exists()


def test_deleting_a_collection_moves_its_assets_and_those_below_to_the_parent(
    admin_client, tree, storage
) -> None:
    # given assets in News and in Sport (inside News)
    in_news, in_sport = add("n.jpg", tree["news"]), add("s.jpg", tree["sport"])
    url = reverse("admin:assets_collection_delete", args=[tree["news"].pk])
    # when the editor asks, the page says what will happen
    page = admin_client.get(url).content.decode()
    assert "Its 2 assets move to “Library”." in page and "“Sport”" in page
    # when they confirm
    admin_client.post(url, {"post": "yes"})
    # then both collections are gone and both assets (and their files) are in the root
    assert set(Collection.objects.values_list("name", flat=True)) == {"Library", "Features"}
    assert {a.collection for a in Asset.objects.all()} == {tree["root"]}
    assert Asset.objects.filter(pk__in=[in_news.pk, in_sport.pk]).count() == 2
    assert len(storage.names()) == 2  # no file was touched


@pytest.mark.parametrize(("params", "shown"), [
    ({"collection": "news"}, {"n"}),
    ({"collection": "news", "subcollections": "1"}, {"n", "s"}),
    ({"collection": "sport"}, {"s"}),
    ({}, {"n", "s", "r"}),
])  # fmt: skip
def test_the_library_filters_by_the_tree(admin_client, tree, params, shown) -> None:
    add("n.jpg", tree["news"])
    add("s.jpg", tree["sport"])
    add("r.jpg", tree["root"])
    admin_client.get("/admin/assets/asset/", {"view": "table"})
    query = {**params, **({"collection": str(tree[params["collection"]].pk)} if params else {})}
    page = admin_client.get("/admin/assets/asset/", query).content.decode()
    titles = {t for t in ("n", "s", "r") if f">{t}</a>" in page}
    assert titles == shown


def test_the_library_drop_zone_adds_to_the_collection_shown(admin_client, tree) -> None:
    page = admin_client.get("/admin/assets/asset/", {"collection": str(tree["news"].pk)}).content.decode()
    assert "to add them to “News”" in page
    assert f'"collection": {tree["news"].pk}' in page
    assert f"/admin/assets/asset/upload/?collection={tree['news'].pk}" in page


@pytest.mark.django_db(transaction=True)
def test_two_requests_making_the_root_at_once_end_with_one() -> None:
    """Parallel uploads into an emptied database: both get the same root, neither an error."""
    import threading

    from django.db import connections

    found: list[int] = []
    barrier = threading.Barrier(2)

    def make() -> None:
        barrier.wait()
        try:
            found.append(Collection.default().pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=make) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 2 and len(set(found)) == 1 and Collection.objects.count() == 1


def test_a_caller_that_looked_before_the_root_was_committed_gets_that_root(monkeypatch) -> None:
    # given a root another request has just committed, after this caller looked and saw none
    Collection.objects.all().delete()
    made = Collection.default()
    original = type(Collection.objects).get_first_root_node
    calls: list[int] = []

    def first_look_sees_none(self: object) -> Collection | None:
        calls.append(1)
        return None if len(calls) == 1 else original(self)

    monkeypatch.setattr(type(Collection.objects), "get_first_root_node", first_look_sees_none)
    # when it goes on to make the root
    root = Collection.default()
    # then it gets the one that exists, and there is still one root
    assert root.pk == made.pk
    assert Collection.objects.filter(depth=1).count() == 1


def test_a_new_collection_goes_inside_the_library_with_the_forms_own_defaults(admin_client, tree) -> None:
    # given the add form as an editor first sees it
    page = admin_client.get(ADD).content.decode()
    # then it asks where in an editor's words, offers no place beside the library, and starts inside it
    assert ">Where:</label>" in page and ">Collection:</label>" in page
    assert "-- root --" not in page and ">Inside</option>" in page
    assert f'<option value="{tree["root"].pk}" selected>' in page
    # when the editor types a name and saves, leaving the rest as it is
    response = admin_client.post(ADD, {"name": "Politics", "treebeard_position": "sorted-child",
                                       "treebeard_ref_node": tree["root"].pk})  # fmt: skip
    # then the collection is made inside the library
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Collection.objects.get_parent(Collection.objects.get(name="Politics")) == tree["root"]


def test_the_library_itself_is_renamed_without_asking_where(admin_client, tree) -> None:
    url = f"/admin/assets/collection/{tree['root'].pk}/change/"
    page = admin_client.get(url).content.decode()
    assert ">Where:</label>" not in page
    response = admin_client.post(url, {"name": "All images", "treebeard_position": "sorted-child",
                                       "treebeard_ref_node": ""})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Collection.default().name == "All images"
