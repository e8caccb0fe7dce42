"""Retake the README's editor screenshots from a running dam (not part of the test suite).

    make run                                  # in one shell: serves http://127.0.0.1:8000/
    .venv/bin/python docs/screenshots/capture.py [BASE_URL]

Signs in with the local admin of `make run` (var/admin-login.txt, or DAM_SCREENSHOT_LOGIN=user:password),
at 1366×900 in Debian's chromium. The asset page shown is the newest asset with an earlier version
(replace a file once to have one). The upload is slowed to a crawl (Chromium's network emulation)
so that its progress bars are caught halfway.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
UPLOAD_BYTES_PER_SECOND = 150 * 1024


def login() -> tuple[str, str]:
    if value := os.environ.get("DAM_SCREENSHOT_LOGIN"):
        user, password = value.split(":", 1)
        return user, password
    var = Path(os.environ.get("DAM_VAR_DIR", ROOT / "var"))
    user, password = (var / "admin-login.txt").read_text().split()[:2]
    return user, password


def photo(size: tuple[int, int], seed: int) -> bytes:
    """A photo-like JPEG (noise, so it is a few MB and the upload takes a while), different on
    every run (the same bytes again would be reported as a duplicate and wait for the editor)."""
    from PIL import Image

    noise = Image.effect_noise(size, 60 + seed).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    picture = Image.blend(gradient, noise, 0.5)
    picture.putpixel((0, 0), tuple(os.urandom(3)))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def main(base: str) -> None:
    from playwright.sync_api import sync_playwright

    user, password = login()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", user)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        library(page, base)
        upload(page, base, Path(tmp))
        asset_page(page, base)
        browser.close()


def library(page, base: str) -> None:
    page.goto(f"{base}/admin/assets/asset/?view=grid")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=HERE / "library.png")


def upload(page, base: str, tmp: Path) -> None:
    files = []
    for index, name in enumerate(["ferry-terminal.jpg", "night-market.jpg", "bridge-at-dusk.jpg"]):
        path = tmp / name
        path.write_bytes(photo((1800, 1200), index))
        files.append(str(path))
    empty = tmp / "empty.jpg"
    empty.write_bytes(b"")
    page.goto(f"{base}/admin/assets/asset/upload/")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                   "uploadThroughput": UPLOAD_BYTES_PER_SECOND})  # fmt: skip
    page.set_input_files("#id_files", [*files, str(empty)])
    page.fill("#id_tags", "city, evening")
    page.click("input[name=_upload]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.upload-item progress')].some(p => p.value >= 30 && p.value < 90)"
    )
    page.screenshot(path=HERE / "upload-in-progress.png", full_page=True)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                   "uploadThroughput": -1})  # fmt: skip
    page.wait_for_selector(".upload-summary[data-finished=true]", timeout=120_000)


def asset_page(page, base: str) -> None:
    page.goto(f"{base}/admin/assets/asset/?view=table")
    page.goto(f"{base}/admin/assets/asset/?q=sunset")
    page.locator("#result_list tbody th a").first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=HERE / "asset-page.png", full_page=True)
    page.goto(f"{base}/admin/assets/asset/?view=grid")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
