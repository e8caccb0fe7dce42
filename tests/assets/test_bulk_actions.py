"""Bulk actions: a confirmation page that says what will happen, then the change; every test on
local storage and on S3 (through moto)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from assets.ingest import AssetFields, ingest
from assets.models import Asset, Collection
from renditions import services
from renditions.models import Rendition, RenditionSpec
from tests import images
from tests.conftest import StorageProbe

pytestmark = pytest.mark.django_db(transaction=True)
LIBRARY = "/admin/assets/asset/"


@pytest.fixture(autouse=True)
def on_both_storages(storage: StorageProbe) -> StorageProbe:
    return storage


def add(name: str, **fields) -> Asset:
    return ingest(io.BytesIO(images.jpeg((300, 200))), filename=name, fields=AssetFields(**fields))


def act(client, action: str, assets: list[Asset], *, apply: bool, query: str = "", **data):
    payload = {"action": action, "_selected_action": [str(a.pk) for a in assets], "index": "0", **data}
    if apply:
        payload["apply"] = "Apply"
    return client.post(LIBRARY + query, payload)


@pytest.mark.parametrize(
    ("action", "data", "says"),
    [
        ("add_tags", {"tags": "x"}, "The tags are added to each selected asset"),
        ("remove_tags", {"tags": "x"}, "The tags are taken off each selected asset"),
        ("move_to_collection", {}, "Each asset is in exactly one collection"),
        ("set_rights", {"credit": "AP"}, "The same value goes on every selected asset."),
        ("regenerate_renditions", {}, "is made again in the background"),
        ("delete_assets", {}, "leave storage"),
    ],
)
def test_every_action_asks_first_and_changes_nothing_until_applied(admin_client, action, data, says) -> None:
    # given
    first, second = add("a.jpg", tags=["x"]), add("b.jpg", tags=["x"])
    before = list(Asset.objects.order_by("pk").values())
    # when the action is chosen
    response = act(admin_client, action, [first, second], apply=False, **data)
    # then a page names the selection and says what will happen; nothing changed yet
    page = response.content.decode()
    assert response.status_code == 200 and "2 assets selected:" in page and says in page
    assert ">a</a>" in page and ">b</a>" in page
    assert list(Asset.objects.order_by("pk").values()) == before


def test_add_tags_keeps_the_others_and_touches_updated_at(admin_client) -> None:
    first, second = add("a.jpg", tags=["old"]), add("b.jpg")
    Asset.objects.update(updated_at=timezone.now() - timedelta(days=1))
    response = act(admin_client, "add_tags", [first, second], apply=True, tags="News, sport")
    assert response.status_code == 302
    assert sorted(t.name for t in first.tags.all()) == ["news", "old", "sport"]
    assert sorted(t.name for t in second.tags.all()) == ["news", "sport"]
    assert all(a.updated_at > timezone.now() - timedelta(minutes=1) for a in Asset.objects.all())


def test_add_tags_needs_tags(admin_client) -> None:
    response = act(admin_client, "add_tags", [add("a.jpg")], apply=True, tags=" , ")
    assert response.status_code == 200 and "Name at least one tag." in response.content.decode()
    assert not Asset.objects.get().tags.exists()


def test_remove_tags(admin_client) -> None:
    first, second = add("a.jpg", tags=["news", "sport"]), add("b.jpg", tags=["news"])
    act(admin_client, "remove_tags", [first, second], apply=True, tags="news")
    assert [t.name for t in first.tags.all()] == ["sport"] and not second.tags.exists()


def test_move_to_collection(admin_client) -> None:
    news = Collection.objects.add_child(Collection.default(), create_kwargs={"name": "News"})
    first, second, _ = add("a.jpg"), add("b.jpg"), add("c.jpg")
    act(admin_client, "move_to_collection", [first, second], apply=True, collection=str(news.pk))
    assert {a.title: a.collection.name for a in Asset.objects.all()} == {
        "a": "News",
        "b": "News",
        "c": "Library",
    }


def test_move_every_match_across_pages(admin_client) -> None:
    """ "Select all N" applies to the filtered list, not only to the ticked page."""
    news = Collection.objects.add_child(Collection.default(), create_kwargs={"name": "News"})
    add("a.png"), add("b.jpg")
    Asset.objects.filter(title="a").update(format="PNG")
    on_page = [add("c.jpg")]  # the browser posts the ticked rows of the page too
    act(admin_client, "move_to_collection", on_page, apply=True, query="?format__exact=JPEG",
        select_across="1", collection=str(news.pk))  # fmt: skip
    assert sorted(Asset.objects.filter(collection=news).values_list("title", flat=True)) == ["b", "c"]


def test_set_rights_changes_only_what_is_filled_in(admin_client) -> None:
    asset = add("a.jpg", credit="Old credit", copyright="Old ©")
    act(admin_client, "set_rights", [asset], apply=True, credit="AP", copyright="")
    asset.refresh_from_db()
    assert (asset.credit, asset.copyright) == ("AP", "Old ©")
    response = act(admin_client, "set_rights", [asset], apply=True, credit="", copyright="")
    assert "Fill in the credit, the copyright or both." in response.content.decode()


def test_regenerate_makes_every_named_rendition_again(admin_client, storage: StorageProbe) -> None:
    # given two assets, one of whose renditions was made before
    first, second = add("a.jpg"), add("b.jpg")
    thumb = RenditionSpec.objects.get(name="thumb")
    services.get_or_generate(services.Target.build(first, thumb.spec, named=thumb))
    old = Rendition.objects.get()
    # when
    response = act(admin_client, "regenerate_renditions", [first, second], apply=True)
    # then every named spec's rendition exists for both, in storage too, the old one remade
    assert response.status_code == 302
    specs = RenditionSpec.objects.count()
    assert Rendition.objects.filter(spec__isnull=False).count() == 2 * specs
    assert Rendition.objects.get(asset=first, spec=thumb).pk != old.pk
    stored = {n for n in storage.names() if "renditions/" in n or n.count("/") >= 1}
    assert all(any(r.storage_name in n for n in stored) for r in Rendition.objects.all())


def test_delete_names_renditions_and_bytes_then_empties_storage(admin_client, storage: StorageProbe) -> None:
    # given two assets with a rendition each
    first, second = add("a.jpg"), add("b.jpg")
    thumb = RenditionSpec.objects.get(name="thumb")
    for asset in (first, second):
        services.get_or_generate(services.Target.build(asset, thumb.spec, named=thumb))
    rendition_bytes = sum(Rendition.objects.values_list("byte_size", flat=True))
    # when the editor chooses delete, the page says how many renditions and how many bytes go
    page = act(admin_client, "delete_assets", [first, second], apply=False).content.decode()
    assert "2 rendition files" in page and f"({_size(rendition_bytes)})" in page
    total = first.byte_size + second.byte_size + rendition_bytes
    assert f"{_size(total)} in all" in page
    # when they confirm
    response = act(admin_client, "delete_assets", [first, second], apply=True)
    # then the assets, renditions and files are gone
    assert response.status_code == 302
    assert not Asset.objects.exists() and not Rendition.objects.exists()
    assert storage.names() == set()


def test_actions_need_the_matching_permission(client, django_user_model) -> None:
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_asset"))
    client.force_login(user)
    asset = add("a.jpg")
    response = act(client, "add_tags", [asset], apply=True, tags="x")
    assert not asset.tags.exists()
    assert response.status_code in (200, 302)


def _size(count: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(count))


@pytest.mark.parametrize(
    ("action", "data", "shows"),
    [
        ("add_tags", {"tags": "news"}, lambda asset: "news" in asset["tags"]),
        ("remove_tags", {"tags": "x"}, lambda asset: asset["tags"] == []),
        ("set_rights", {"credit": "AP"}, lambda asset: True),
        ("move_to_collection", None, lambda asset: True),
    ],
)
def test_metadata_actions_announce_asset_updated_for_each_asset(
    admin_client, monkeypatch, action, data, shows
) -> None:
    # given an app listening for asset.updated (its sends left out: the rows are what is checked)
    from assets import outbox
    from assets.models import WebhookDelivery, WebhookEndpoint

    monkeypatch.setattr(outbox, "hand_off", lambda ids: None)
    WebhookEndpoint.objects.create(url="https://app.example.com/hooks", events=["asset.updated"])
    first, second = add("a.jpg", tags=["x"]), add("b.jpg", tags=["x"])
    if data is None:
        news = Collection.objects.add_child(Collection.default(), create_kwargs={"name": "News"})
        data = {"collection": str(news.pk)}
    # when
    assert act(admin_client, action, [first, second], apply=True, **data).status_code == 302
    # then one delivery per asset, written with the change, describing the asset as it is now
    rows = WebhookDelivery.objects.filter(event="asset.updated")
    described = {row.payload["data"]["asset"]["id"]: row.payload["data"]["asset"] for row in rows}
    assert set(described) == {str(first.pk), str(second.pk)}
    assert all(shows(asset) for asset in described.values())
