"""The editor's admin in a real browser (Debian's chromium, driven by Playwright): upload many
files at once, then set the focal point by clicking the picture, and see rendition previews load."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

from assets.models import Asset
from tests import images

pytestmark = pytest.mark.django_db(transaction=True)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium's own network chatter fails on this closed network; these flags keep it quiet.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture
def page(live_server, admin_user, monkeypatch, tmp_path: Path, settings):
    if CHROMIUM is None:
        if os.environ.get("DAM_REQUIRE_SERVICES"):
            pytest.fail("chromium is required in CI (.ci/run installs Debian's package)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.DAM_DELIVERY = "proxy"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        yield page
        browser.close()
        # ORM calls made while Playwright's loop runs get their own connection (asgiref's Local is
        # context-bound); close it, or it outlives the test database.
        connections.close_all()


def test_editor_uploads_many_files_then_sets_the_focal_point(page, live_server, tmp_path: Path) -> None:
    # given two photos on disk
    first, second = tmp_path / "harbour.jpg", tmp_path / "forest.png"
    first.write_bytes(images.jpeg((800, 400)))
    second.write_bytes(images.png((300, 300)))
    # when the editor uploads both at once from the "Add asset" page
    page.goto(f"{live_server.url}/admin/assets/asset/add/")
    page.set_input_files("input[type=file]", [str(first), str(second)])
    # then the page says at once what is chosen, before anything is sent
    assert (
        page.locator(".upload-chosen").inner_text()
        == "2 files chosen: harbour.jpg, forest.png. Press Upload to send."
    )
    page.fill("#id_tags", "news, home")
    page.click("input[name=_upload]")
    page.wait_for_selector(".upload-summary[data-finished=true]")
    assert page.locator(".upload-chosen").is_hidden()  # sent: the list below has them now
    page.click("text=Go to the library")
    page.wait_for_url(f"{live_server.url}/admin/assets/asset/")
    # then both are listed, with thumbnails that really load (the wait needs both images: a check
    # over an empty list would pass on the page being left)
    assert Asset.objects.count() == 2
    page.wait_for_function(
        "() => { const imgs = [...document.querySelectorAll('#result_list img')];"
        " return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
    )
    assert page.locator("#result_list img").count() == 2
    # when the editor clicks the picture three quarters across and a quarter down, and saves
    harbour = Asset.objects.get(original_filename="harbour.jpg")
    page.goto(f"{live_server.url}/admin/assets/asset/{harbour.pk}/change/")
    picture = page.locator("#focal-image")
    picture.wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('focal-image').naturalWidth > 0")
    box = picture.bounding_box()
    assert box is not None
    picture.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.25})
    assert page.locator("#focal-marker").is_visible()
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/assets/asset/")
    page.wait_for_load_state("networkidle")  # no render left in flight when the test database goes
    # then the focal point is stored
    harbour.refresh_from_db()
    assert harbour.focal_x == pytest.approx(0.75, abs=0.02)
    assert harbour.focal_y == pytest.approx(0.25, abs=0.02)


def test_without_javascript_a_bad_file_shows_its_message(page, live_server, tmp_path: Path) -> None:
    evil = tmp_path / "evil.jpg"
    evil.write_bytes(images.html())
    page.route(
        "**/*.js", lambda route: route.abort()
    )  # the upload page as a browser without JavaScript sees it
    page.goto(f"{live_server.url}/admin/assets/asset/add/")
    page.set_input_files("input[type=file]", [str(evil)])
    page.click("input[name=_upload]")
    assert "evil.jpg: The file is not an image." in page.locator(".messagelist").inner_text()
    page.wait_for_load_state("networkidle")
    assert not Asset.objects.exists()
