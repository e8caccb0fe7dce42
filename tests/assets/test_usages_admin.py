"""Usages in the admin: the asset page lists where the consuming app uses the asset (read-only),
the delete confirmations (one asset, and the bulk action) warn "used in N places" with the list,
and the library marks used assets "used ×N" in both views."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assets.editor import usages as editor_usages
from assets.ingest import AssetFields, ingest
from assets.models import ApiKey, Asset, AssetUsage
from tests import images

pytestmark = pytest.mark.django_db
LIBRARY = "/admin/assets/asset/"


def add(name: str, **fields) -> Asset:
    return ingest(io.BytesIO(images.jpeg((90, 60))), filename=name, fields=AssetFields(**fields))


def use(
    asset: Asset, external_id: str, url: str = "https://app.example/a", label: str = "", **kw
) -> AssetUsage:
    return AssetUsage.objects.create(asset=asset, external_id=external_id, url=url, label=label, **kw)


def editor_client(client, codenames: list[str]):
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def panel(page: str) -> str:
    match = re.search(r'<fieldset class="module asset-panel" id="usages">.*?</fieldset>', page, re.S)
    assert match
    return match.group(0)


# --- the asset page ---------------------------------------------------------------------------


def test_the_asset_page_lists_its_usages_read_only(client) -> None:
    # given an asset used in two places, the second written by an API key
    asset = add("forest.jpg")
    use(asset, "article:4711", "https://app.example/articles/4711", "Forest feature")
    key, _ = ApiKey.issue("rails-production")
    use(asset, "page:home", "https://app.example/", "", updated_by_key=key)
    # when an editor who may change assets opens it
    editor = editor_client(client, ["view_asset", "change_asset"])
    page = editor.get(reverse("admin:assets_asset_change", args=[asset.pk])).content.decode()
    # then the label links to the url (a usage without label shows its url), with id and time
    used = panel(page)
    assert "Used in 2 places" in used
    assert (
        '<a href="https://app.example/articles/4711" target="_blank" rel="noopener noreferrer">Forest feature</a>'
        in used
    )
    assert (
        '<a href="https://app.example/" target="_blank" rel="noopener noreferrer">https://app.example/</a>'
        in used
    )
    assert "<code>article:4711</code>" in used and "<code>page:home</code>" in used
    assert "rails-production" in used
    # and nothing in it can be edited; usages have no admin pages of their own
    assert "<input" not in used and "<button" not in used and "<textarea" not in used
    assert editor.get("/admin/assets/assetusage/").status_code == 404


def test_an_unused_asset_says_so(admin_client) -> None:
    asset = add("a.jpg")
    used = panel(admin_client.get(reverse("admin:assets_asset_change", args=[asset.pk])).content.decode())
    assert "Used in 0 places" in used and "has not reported using this image anywhere" in used


def test_a_label_is_escaped(admin_client) -> None:
    asset = add("a.jpg")
    use(asset, "x", label="<script>alert(1)</script>")
    page = admin_client.get(reverse("admin:assets_asset_change", args=[asset.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in panel(page)


# --- deleting one asset -------------------------------------------------------------------------


def test_deleting_a_used_asset_warns_with_the_list_then_deletes_it_with_its_usages(admin_client) -> None:
    # given
    asset = add("forest.jpg")
    use(asset, "article:1", "https://app.example/articles/1", "Forest feature")
    use(asset, "page:home", "https://app.example/", "Home page")
    url = reverse("admin:assets_asset_delete", args=[asset.pk])
    # when the editor asks to delete it
    page = admin_client.get(url).content.decode()
    # then Django's confirmation comes with the warning first, in the admin's own message style
    warning = re.search(r'<ul class="messagelist"><li class="warning">(.*?)</li></ul>', page, re.S)
    assert warning and "This asset is used in 2 places: deleting breaks the image there." in warning.group(1)
    listed = re.search(r'<ul id="usages-to-break">.*?</ul>', page, re.S)
    assert listed and ">Forest feature</a> <code>article:1</code>" in listed.group(0)
    assert ">Home page</a> <code>page:home</code>" in listed.group(0)
    assert page.index("usages-to-break") < page.index("leave storage")
    # when confirmed: deleted (editors decide), its usages with it
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Asset.objects.exists() and not AssetUsage.objects.exists()


def test_deleting_an_unused_asset_has_no_warning(admin_client) -> None:
    asset = add("a.jpg")
    page = admin_client.get(reverse("admin:assets_asset_delete", args=[asset.pk])).content.decode()
    assert "leave storage" in page and "usages-to-break" not in page and "used in" not in page


def test_an_editor_who_may_delete_assets_needs_no_permission_on_usages(client) -> None:
    asset = add("a.jpg")
    use(asset, "a")
    editor = editor_client(client, ["view_asset", "change_asset", "delete_asset"])
    page = editor.get(reverse("admin:assets_asset_delete", args=[asset.pk])).content.decode()
    assert "leave storage" in page and "doesn’t have permission" not in page


# --- the bulk delete ------------------------------------------------------------------------------


def bulk_delete(client, assets: list[Asset]) -> str:
    payload = {"action": "delete_assets", "_selected_action": [str(a.pk) for a in assets], "index": "0"}
    return client.post(LIBRARY, payload).content.decode()


def test_the_bulk_delete_warns_how_many_are_used_and_where(admin_client) -> None:
    # given three assets, two of them used
    first, second, unused = add("first.jpg", title="First"), add("second.jpg", title="Second"), add("c.jpg")
    use(first, "article:1", label="Article one")
    use(first, "article:2", label="Article two")
    use(second, "product:9", label="Product nine")
    # when
    page = bulk_delete(admin_client, [first, second, unused])
    # then
    warning = re.search(r'<ul class="messagelist"><li class="warning">(.*?)</li></ul>', page, re.S)
    assert warning and "2 of these assets are used in 3 places" in warning.group(1)
    listed = re.search(r'<ul id="usages-to-break">.*?</ul>', page, re.S)
    assert listed
    for label, external_id, title in [("Article one", "article:1", "First"), ("Article two", "article:2", "First"),
                                      ("Product nine", "product:9", "Second")]:  # fmt: skip
        assert (
            f'>{label}</a> <code>{external_id}</code> <span class="quiet">({title})</span>' in listed.group(0)
        )
    assert "leave storage" in page  # the action's own explanation stays


def test_the_bulk_delete_names_one_used_asset_and_counts_past_the_list(admin_client) -> None:
    used, other = add("a.jpg"), add("b.jpg")
    for n in range(editor_usages.LISTED + 3):
        use(used, f"p:{n}")
    page = bulk_delete(admin_client, [used, other])
    assert f"One of these assets is used in {editor_usages.LISTED + 3} places" in page
    assert "and 3 more places" in page
    assert len(re.findall(r"<code>p:\d+</code>", page)) == editor_usages.LISTED


def test_the_bulk_delete_of_unused_assets_has_no_warning(admin_client) -> None:
    page = bulk_delete(admin_client, [add("a.jpg"), add("b.jpg")])
    assert "2 assets selected:" in page and "usages-to-break" not in page


# --- the library ------------------------------------------------------------------------------------


def test_the_library_marks_used_assets_in_the_grid_and_the_table(admin_client) -> None:
    # given
    used = add("used.jpg", title="Used")
    add("unused.jpg", title="Unused")
    use(used, "a")
    use(used, "b")
    # then, in the grid
    grid = admin_client.get(LIBRARY).content.decode()
    used_card = re.search(r'<tr class="library-card(?:(?!</tr>).)*title="Used">.*?</tr>', grid, re.S)
    unused_card = re.search(r'<tr class="library-card(?:(?!</tr>).)*title="Unused">.*?</tr>', grid, re.S)
    assert used_card and unused_card
    assert re.search(
        r'<span class="library-used" title="Used in 2 places[^"]*">used ×2</span>', used_card.group(0)
    )
    assert "library-used" not in unused_card.group(0)
    # and in the table
    admin_client.get(LIBRARY, {"view": "table"})
    table = admin_client.get(LIBRARY).content.decode()
    assert 'class="library-table"' in table
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)
    assert any(">Used</a>" in row and "used ×2" in row for row in rows)
    assert not any(">Unused</a>" in row and "library-used" in row for row in rows)


def test_the_markers_cost_one_query_whatever_the_page(admin_client) -> None:
    # given a page of assets; then most of them used
    assets = [add(f"{n}.jpg") for n in range(6)]
    admin_client.get(LIBRARY)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(LIBRARY).status_code == 200
        return len(captured)

    before = queries()
    for n, asset in enumerate(assets):
        for m in range(n):
            use(asset, f"p:{m}")
    # when / then
    assert queries() == before
    assert "used ×5" in admin_client.get(LIBRARY).content.decode()
