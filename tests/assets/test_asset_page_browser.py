"""The asset page in a real browser: replace the file (the old rendition URL then redirects to the
new one), "make now", and copy buttons that put the right text on the clipboard."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assets.editor import asset_page
from assets.ingest import AssetFields, ingest
from assets.models import Asset, AssetVersion
from renditions import services
from renditions.models import RenditionSpec
from tests import images
from tests.assets.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def asset() -> Asset:
    return ingest(io.BytesIO(images.jpeg((1200, 800))), filename="harbour.jpg",
                  fields=AssetFields(title="Harbour", alt_text="Boats at dawn", tags=["sea"]))  # fmt: skip


def test_replacing_the_file_redirects_the_old_rendition_url(
    editor, live_server, asset, tmp_path: Path
) -> None:
    # given the rendition URL the consuming app has
    thumb = RenditionSpec.objects.get(name="thumb")
    old_url = live_server.url + services.named_url(asset, thumb)
    assert editor.request.get(old_url).status == 200
    new_file = tmp_path / "harbour-retouched.png"
    new_file.write_bytes(images.png((600, 600)))
    # when the editor replaces the file on the asset page
    editor.goto(f"{live_server.url}/admin/assets/asset/{asset.pk}/change/")
    assert fits_the_screen(editor)
    editor.set_input_files("#replace-file", str(new_file))
    editor.click("#replace-submit")
    editor.wait_for_selector(".messagelist .success")
    # then the page lists the earlier version, the asset keeps its id, title and tags
    assert "harbour.jpg" in editor.locator("#versions").inner_text()
    asset.refresh_from_db()
    assert (asset.title, asset.original_filename, [t.name for t in asset.tags.all()]) == (
        "Harbour",
        "harbour-retouched.png",
        ["sea"],
    )
    assert AssetVersion.objects.filter(asset=asset).count() == 1
    # and the old URL redirects to the new one, which serves the new picture
    response = editor.request.get(old_url, max_redirects=0)
    assert response.status == 302
    assert response.headers["location"] == services.named_url(asset, thumb)
    # (a browser that showed the old picture keeps it: its bytes never change, the URL is immutable)
    followed = editor.request.get(old_url)
    assert followed.status == 200 and followed.url == live_server.url + services.named_url(asset, thumb)
    # when the editor presses Restore on the earlier version, it asks first; "Cancel" changes nothing
    asked: list[str] = []
    editor.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    editor.locator("#versions button", has_text="Restore").click()
    editor.wait_for_timeout(500)  # time for a submission to land, were there one
    asset.refresh_from_db()
    assert asked and asked[0].startswith("Restore harbour.jpg?") and "every rendition URL changes" in asked[0]
    assert asset.original_filename == "harbour-retouched.png"
    # and "OK" restores it
    editor.once("dialog", lambda dialog: dialog.accept())
    editor.locator("#versions button", has_text="Restore").click()
    editor.wait_for_selector(".messagelist .success")
    asset.refresh_from_db()
    assert asset.original_filename == "harbour.jpg"


def test_make_now_and_the_copy_buttons(editor, live_server, asset) -> None:
    editor.goto(f"{live_server.url}/admin/assets/asset/{asset.pk}/change/")
    cards = {c.name: c for c in asset_page.rendition_cards(asset, _request(live_server))}
    # when the editor makes "small" now, its card turns ready with its real size, without a reload
    small = editor.locator(".rendition-card[data-name=small]")
    small.locator("button.make-now").click()
    editor.wait_for_selector(".rendition-card[data-name=small].is-ready")
    assert "480×320 · WebP" in small.inner_text()
    editor.wait_for_function(
        "() => document.querySelector('.rendition-card[data-name=small] img').naturalWidth === 480"
    )
    # when they copy the URL, the <img> and the image_tag snippets of "medium"
    medium = editor.locator(".rendition-card[data-name=medium]")
    for button, snippet in (("Copy URL", "url"), ("Copy <img>", "img"), ("Copy image_tag", "rails")):
        medium.get_by_role("button", name=button).click()
        # then the clipboard holds exactly that text
        assert editor.evaluate("navigator.clipboard.readText()") == cards["medium"].snippets[snippet]
    assert "Copied" in medium.inner_text()


def _request(live_server):
    from django.test import RequestFactory

    host = live_server.url.split("//", 1)[1]
    return RequestFactory().get("/", HTTP_HOST=host)
