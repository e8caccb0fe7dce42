"""Retake the README's editor screenshots from a running dam (not part of the test suite).

    make run                                  # in one shell: serves http://127.0.0.1:8000/
    .venv/bin/python docs/screenshots/capture.py [BASE_URL]

Signs in with the local admin of `make run` (var/admin-login.txt, or DAM_SCREENSHOT_LOGIN=user:password),
at 1366×900 in Debian's chromium. The upload is slowed to a crawl (Chromium's network emulation)
so that its progress bars are caught halfway. The asset page shown is one made for it through the
API (a key from `manage.py create_api_key`, or DAM_SCREENSHOT_API_KEY): a photo whose file carries a
title, credit and camera data ("From the file", EXIF), its rights (licence, usage terms, an expiry),
a near-duplicate of it ("Similar images") and two places the consuming app uses it ("Used in").
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
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

    top, bottom = [
        ((20, 40, 90), (230, 140, 60)),
        ((60, 20, 70), (240, 190, 90)),
        ((10, 60, 80), (200, 90, 70)),
    ][seed % 3]
    noise = Image.effect_noise(size, 60 + seed).convert("RGB")
    mask = Image.linear_gradient("L").resize(size)
    gradient = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)
    picture = Image.blend(gradient, noise, 0.4)
    picture.putpixel((0, 0), tuple(os.urandom(3)))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def api_key() -> str:
    if value := os.environ.get("DAM_SCREENSHOT_API_KEY"):
        return value
    made = subprocess.run([sys.executable, "manage.py", "create_api_key", "screenshots"], cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


def harbour(brighter: float = 1.0) -> bytes:
    """A sunset over a harbour (sky, sun, sea, a pier) with a title, credit and camera data in its
    EXIF; ``brighter`` makes the near-duplicate an editor would upload by mistake."""
    from PIL import Image, ImageDraw, ImageEnhance

    size = (1600, 1067)
    sky = Image.composite(Image.new("RGB", size, (40, 30, 90)), Image.new("RGB", size, (250, 150, 60)),
                          Image.linear_gradient("L").rotate(180).resize(size))  # fmt: skip
    draw = ImageDraw.Draw(sky)
    draw.ellipse((980, 420, 1180, 620), fill=(255, 225, 150))
    draw.rectangle((0, 600, size[0], size[1]), fill=(30, 60, 100))
    for y in range(620, size[1], 24):
        draw.line((0, y, size[0], y), fill=(60, 90, 130), width=3)
    draw.rectangle((120, 560, 760, 600), fill=(45, 30, 30))
    for x in range(140, 760, 90):
        draw.rectangle((x, 600, x + 14, 760), fill=(45, 30, 30))
    picture = ImageEnhance.Brightness(sky).enhance(brighter)
    picture.putpixel((0, 0), tuple(os.urandom(3)))  # new bytes on every run (not a duplicate)
    exif = Image.Exif()
    exif[0x010E] = "Harbour at sunset"  # ImageDescription
    exif[0x013B] = "Ana Ribeiro"  # Artist
    exif[0x8298] = "Copyright 2024 Ana Ribeiro / Coastline Photo Agency"  # Copyright (EXIF is ASCII)
    exif[0x010F] = "FUJIFILM"  # Make
    exif[0x0110] = "X-T5"  # Model
    exif.get_ifd(0x8769)[0x9003] = "2024:05:18 20:41:07"  # DateTimeOriginal
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def showcase(page, base: str) -> str:
    """The asset the asset page shows (see the module's docstring); its id."""
    headers = {"Authorization": f"Api-Key {api_key()}"}
    expires = (date.today() + timedelta(days=21)).isoformat()
    ids = []
    for name, brighter, rights in [
        ("harbour-sunset.jpg", 1.0, {"rights.licence": "agency", "rights.licence_detail": "Coastline Photo Agency, contract 2024-117",
                                     "rights.usage_terms": "Editorial use in print and online; no advertising.",
                                     "rights.expires_on": expires}),
        ("harbour-sunset-edit.jpg", 1.25, {}),
    ]:  # fmt: skip
        response = page.request.post(f"{base}/api/v1/assets/", headers=headers, multipart={
            "file": {"name": name, "mimeType": "image/jpeg", "buffer": harbour(brighter)},
            "tags": "harbour", "alt_text": "A wooden pier at sunset, the sun low over a calm sea",
            "caption": "The old ferry pier at Porto Novo, an hour before the last crossing.", **rights})  # fmt: skip
        assert response.status == 201, response.text()
        ids.append(response.json()["id"])
        for rendition in response.json()["renditions"].values():  # made now, so the page shows them
            url = rendition["url"] if rendition["url"].startswith("http") else base + rendition["url"]
            page.request.get(url)
    for external_id, url, label in [
        ("article:4711", "https://news.example.com/articles/4711", "Summer on the coast (feature)"),
        ("page:home", "https://news.example.com/", "Homepage, travel teaser"),
    ]:
        response = page.request.put(f"{base}/api/v1/assets/{ids[0]}/usages/{external_id}", headers=headers,
                                    data={"url": url, "label": label})  # fmt: skip
        assert response.status in (200, 201), response.text()
    return ids[0]


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
        showcase_id = showcase(page, base)
        upload(page, base, Path(tmp))
        library(page, base)
        asset_page(page, base, showcase_id)
        browser.close()


def library(page, base: str) -> None:
    page.goto(f"{base}/admin/assets/asset/?view=grid")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=HERE / "library.png", full_page=True)  # every filter, down to the last


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


def asset_page(page, base: str, asset_id: str) -> None:
    page.goto(f"{base}/admin/assets/asset/{asset_id}/change/")
    page.mouse.wheel(0, 10_000)  # the lazy images (similar ones) load only when scrolled to
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    page.evaluate("window.scrollTo(0, 0)")  # back up: the sticky sidebar is drawn where the view is
    page.wait_for_timeout(200)
    page.screenshot(path=HERE / "asset-page.png", full_page=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
