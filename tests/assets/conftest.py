"""A logged-in editor in Debian's chromium (Playwright), 1366 px wide, allowed to use the clipboard."""

from __future__ import annotations

import os

import pytest
from django.db import connections

from tests.assets.test_admin_browser import CHROMIUM, FLAGS

WIDTH = 1366  # the narrowest screen the library is laid out for


@pytest.fixture
def editor(live_server, admin_user, monkeypatch, settings):
    if CHROMIUM is None:
        if os.environ.get("DAM_REQUIRE_SERVICES"):
            pytest.fail("chromium is required in CI (.ci/run installs Debian's package)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls between browser steps
    settings.DAM_DELIVERY = "proxy"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": WIDTH, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        yield page
        page.wait_for_load_state("networkidle")  # no render left in flight when the database goes
        browser.close()
        connections.close_all()


def fits_the_screen(page) -> bool:
    """Nothing overflows sideways at the page's width: not the page, and not a list's own scroll
    box (the admin's results table scrolls inside it, hiding its last columns)."""
    return bool(
        page.evaluate("""() => document.documentElement.scrollWidth <= window.innerWidth
        && [...document.querySelectorAll('#changelist .results, .asset-panel, fieldset.module')]
             .every(box => box.scrollWidth <= box.clientWidth + 1)""")
    )


@pytest.fixture(autouse=True)
def fresh_top_tags() -> None:
    """The library's tag filter caches the most used tags for minutes: never another test's."""
    from django.core.cache import cache

    from assets.admin import TagFilter

    cache.delete(TagFilter.CACHE_KEY)
