"""The admin pages as an editor sees them (Debian's chromium through Playwright): help texts sit
under their inputs, and the asset page has one focal point section holding picture and inputs."""

from __future__ import annotations

import pytest

from tests.assets import test_admin_browser

pytestmark = pytest.mark.django_db(transaction=True)
page = test_admin_browser.page  # the logged-in browser page fixture
PX = 2  # layout tolerance: sub-pixel rounding differs between fonts


def box(locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not displayed"
    return found


def test_upload_page_help_texts_line_up_with_their_inputs(page, live_server) -> None:
    # when
    page.goto(f"{live_server.url}/admin/assets/asset/upload/")
    # then every label is on its input's line, and every help text starts under its input
    for name in ("title", "alt_text", "credit", "tags"):
        field, label = box(page.locator(f"#id_{name}")), box(page.locator(f"label[for=id_{name}]"))
        assert label["x"] + label["width"] <= field["x"], name
        assert abs(label["y"] - field["y"]) < field["height"], name
    for name in ("title", "tags"):
        field, help_text = box(page.locator(f"#id_{name}")), box(page.locator(f"#id_{name}_helptext > div"))
        assert abs(help_text["x"] - field["x"]) <= PX, name
        assert help_text["y"] >= field["y"] + field["height"] - PX, name
        assert page.locator(f"#id_{name}").get_attribute("aria-describedby") == f"id_{name}_helptext"
    # the files are a drop zone: its picker, then its help, inside the zone
    zone, picker = box(page.locator("#upload-dropzone")), box(page.locator("label[for=id_files]"))
    help_text = box(page.locator("#id_files_helptext"))
    assert zone["x"] <= picker["x"] and picker["y"] + picker["height"] <= help_text["y"] + PX
    assert help_text["y"] + help_text["height"] <= zone["y"] + zone["height"] + PX
    assert page.locator("#id_files").get_attribute("aria-describedby") == "id_files_helptext"


def test_asset_page_has_one_focal_point_section_with_picture_and_inputs(page, live_server, tmp_path) -> None:
    # given an asset
    import io

    from assets.ingest import ingest
    from tests import images

    asset = ingest(io.BytesIO(images.jpeg((400, 200))), filename="one.jpg")
    # when
    page.goto(f"{live_server.url}/admin/assets/asset/{asset.pk}/change/")
    # then
    headings = page.locator("fieldset h2").all_inner_texts()
    assert [h for h in headings if "focal" in h.lower()] == ["Focal point"], headings
    section = page.locator("fieldset", has=page.locator("#focal-image"))
    assert section.locator("#id_focal_x").count() == 1 and section.locator("#id_focal_y").count() == 1
    page.wait_for_load_state("networkidle")  # the preview's render finishes before the database goes
