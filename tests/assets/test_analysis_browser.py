"""Near-duplicates and the automatic focal point in the editor's admin, in a real browser: the
upload page says "It looks like …", the asset page lists similar images and shows the automatic point."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from assets.ingest import AssetFields, ingest
from assets.models import Asset
from tests import scenes
from tests.assets.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("DAM_SCREENSHOTS_DIR")  # set to keep the screenshots (to look at them)


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_an_upload_that_looks_like_an_asset_says_so_and_the_asset_page_lists_it(
    editor, live_server, tmp_path: Path
) -> None:
    # given a picture in the library
    original = ingest(io.BytesIO(scenes.encoded(scenes.scene(1), "PNG")), filename="harbour.png",
                      fields=AssetFields(title="Harbour at dawn"))  # fmt: skip
    copy = tmp_path / "harbour-small.jpg"
    copy.write_bytes(scenes.near_copy(scenes.scene(1)))
    # when the editor uploads a smaller, brighter, recompressed copy of it
    editor.goto(f"{live_server.url}/admin/assets/asset/add/")
    editor.set_input_files("input[type=file]", [str(copy)])
    editor.click("input[name=_upload]")
    editor.wait_for_selector(".upload-summary[data-finished=true]")
    # then its result links the look-alike
    note = editor.locator(".upload-similar")
    assert note.inner_text() == "· It looks like Harbour at dawn, already in the library."
    assert note.locator("a").get_attribute("href") == f"/admin/assets/asset/{original.pk}/change/"
    shot(editor, "upload-looks-like.png")
    # and the new asset's page lists the original under "Similar images", with a thumbnail that loads
    new = Asset.objects.exclude(pk=original.pk).get()
    editor.goto(f"{live_server.url}/admin/assets/asset/{new.pk}/change/")
    listed = editor.locator("#similar .similar-assets li")
    assert listed.count() == 1 and "Harbour at dawn" in listed.inner_text()
    assert listed.locator(".quiet").inner_text() in (
        "looks the same",
        "nearly the same",
        "similar",
    )  # not "bits"
    editor.locator("#similar").scroll_into_view_if_needed()  # the thumbnail loads lazily, when shown
    editor.wait_for_function("() => { const i = document.querySelector('#similar img');"
                             " return i && i.complete && i.naturalWidth > 0; }")  # fmt: skip
    assert fits_the_screen(editor)
    editor.locator("#similar").scroll_into_view_if_needed()
    shot(editor, "asset-page-similar.png")


def test_the_focal_picker_shows_the_automatic_point_until_the_editor_sets_one(editor, live_server) -> None:
    # given a picture whose subject is at 80 % across, with no focal point set
    asset = ingest(io.BytesIO(scenes.encoded(scenes.subject_off_centre((800, 400), at=0.8), "PNG")),
                   filename="subject.png")  # fmt: skip
    editor.goto(f"{live_server.url}/admin/assets/asset/{asset.pk}/change/")
    editor.wait_for_function("() => document.getElementById('focal-image').naturalWidth > 0")
    picture = editor.locator("#focal-image").bounding_box()
    auto = editor.locator("#focal-auto-marker")
    # then the automatic point shows, dashed and labelled, where the subject is
    assert auto.is_visible() and not editor.locator("#focal-marker").is_visible()
    assert auto.inner_text() == "automatic"
    left = editor.evaluate("() => document.getElementById('focal-auto-marker').offsetLeft")
    assert picture is not None and abs(left / picture["width"] - 0.8) < 0.05
    editor.locator("#focal-picker").scroll_into_view_if_needed()
    shot(editor, "focal-automatic.png")
    # when the editor clicks a point, the automatic marker gives way to it
    editor.locator("#focal-image").click(
        position={"x": picture["width"] * 0.25, "y": picture["height"] * 0.5}
    )
    assert editor.locator("#focal-marker").is_visible() and not auto.is_visible()
    # and clearing it brings the automatic one back
    editor.click("#focal-clear")
    assert auto.is_visible() and not editor.locator("#focal-marker").is_visible()
