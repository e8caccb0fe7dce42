"""Usages in a real browser (Debian's chromium, 1366 px): the asset page's panel, the delete
warnings (one asset, the bulk action) and the library's "used ×N" marker, each fitting the screen.

``DAM_SCREENSHOT_DIR=/some/dir`` keeps a screenshot of each page there, to look at."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from assets.ingest import AssetFields, ingest
from assets.models import Asset, AssetUsage
from tests import images
from tests.assets.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name: str) -> None:
    """``page`` is a page (the viewport) or a locator (that element)."""
    if folder := os.environ.get("DAM_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(folder) / f"usages-{name}.png"))


def test_usages_in_the_admin(editor, live_server) -> None:
    # given a used asset (one place with a very long URL and label) and an unused one
    used = ingest(
        io.BytesIO(images.jpeg((800, 500))), filename="forest.jpg", fields=AssetFields(title="Forest")
    )
    ingest(io.BytesIO(images.jpeg((500, 800))), filename="harbour.jpg", fields=AssetFields(title="Harbour"))
    AssetUsage.objects.create(asset=used, external_id="article:4711", label="Forest feature: a walk at dawn",
                              url="https://app.example/articles/4711")  # fmt: skip
    AssetUsage.objects.create(
        asset=used, external_id="page:home", label="Home page", url="https://app.example/"
    )
    AssetUsage.objects.create(asset=used, external_id="product:" + "9" * 60, label="A product with a long name " * 4,
                              url="https://shop.example/products/" + "x" * 300)  # fmt: skip

    # when the library is shown, as a grid then as a table
    editor.goto(f"{live_server.url}/admin/assets/asset/?view=grid")
    editor.wait_for_load_state("networkidle")
    # then the used card carries the marker, with its meaning on hover
    marker = editor.locator("tr.library-card", has_text="Forest").locator(".library-used")
    assert marker.inner_text() == "USED ×3" or marker.inner_text().lower() == "used ×3"
    assert marker.get_attribute("title").startswith("Used in 3 places")
    assert editor.locator("tr.library-card", has_text="Harbour").locator(".library-used").count() == 0
    assert fits_the_screen(editor)
    shot(editor, "library-grid")
    editor.goto(f"{live_server.url}/admin/assets/asset/?view=table")
    editor.wait_for_load_state("networkidle")
    assert editor.locator("#result_list tr", has_text="Forest").locator(".library-used").is_visible()
    assert fits_the_screen(editor)
    shot(editor, "library-table")

    # when the asset page is opened
    editor.goto(f"{live_server.url}/admin/assets/asset/{used.pk}/change/")
    panel = editor.locator("#usages")
    # then the places are listed, each label a link to its page
    assert panel.locator("h2").inner_text().lower() == "used in 3 places"
    link = panel.get_by_role("link", name="Forest feature: a walk at dawn")
    assert link.get_attribute("href") == "https://app.example/articles/4711"
    assert panel.locator("input, textarea, select, button").count() == 0
    assert fits_the_screen(editor)
    shot(panel, "asset-page")

    # when the editor deletes it from its page
    editor.goto(f"{live_server.url}/admin/assets/asset/{used.pk}/delete/")
    # then the warning comes first, in the admin's message style, with the places
    warning = editor.locator("ul.messagelist li.warning")
    assert "This asset is used in 3 places" in warning.inner_text()
    assert editor.locator("#usages-to-break li").count() == 3
    assert fits_the_screen(editor)
    shot(editor, "delete-one")

    # when both are chosen for the bulk delete
    editor.goto(f"{live_server.url}/admin/assets/asset/?view=grid")
    editor.check("#action-toggle")
    editor.select_option("select[name=action]", "delete_assets")
    editor.click("button[name=index]")
    # then
    assert (
        "One of these assets is used in 3 places" in editor.locator("ul.messagelist li.warning").inner_text()
    )
    assert editor.locator("#usages-to-break li", has_text="(Forest)").count() == 3
    assert fits_the_screen(editor)
    shot(editor, "delete-bulk")
    # and applying it still deletes (editors decide)
    editor.click("input[name=apply]")
    editor.wait_for_url("**/admin/assets/asset/**")
    assert not Asset.objects.exists() and not AssetUsage.objects.exists()
