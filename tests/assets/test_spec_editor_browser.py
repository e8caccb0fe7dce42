"""The spec editor in a real browser: problems shown as the editor types (all of them), then a
preview with its output size once the spec is valid."""

from __future__ import annotations

import io

import pytest

from assets.ingest import ingest
from tests import images
from tests.assets.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)


def test_live_validation_shows_both_errors_then_a_preview(editor, live_server) -> None:
    # given an image to preview on
    ingest(io.BytesIO(images.jpeg((1600, 900))), filename="wide.jpg")
    editor.goto(f"{live_server.url}/admin/renditions/renditionspec/add/")
    # when the editor types a spec with two mistakes
    editor.fill("#id_name", "card")
    editor.type("#id_spec", "fill-400x|format-bmp")
    # then both are listed, in the parser's words, before anything is saved
    editor.wait_for_function("() => document.querySelectorAll('#spec-errors li').length === 2")
    problems = editor.locator("#spec-errors li").all_inner_texts()
    assert problems == ["“fill-400x”: expected WIDTHxHEIGHT, e.g. fill-800x600.",
                        "“format-bmp”: one of jpeg, png, webp, avif, gif, auto."]  # fmt: skip
    assert editor.locator("#id_spec").get_attribute("aria-invalid") == "true"
    # when they fix it
    editor.fill("#id_spec", "format-webp|fill-400x300")
    # then it is valid, shown in its canonical form, and previewed with its output size
    editor.wait_for_selector("#spec-errors", state="hidden")
    assert editor.locator("#spec-canonical code").inner_text() == "fill-400x300|format-webp"
    editor.wait_for_function("() => document.getElementById('spec-preview').naturalWidth === 400")
    assert editor.locator("#spec-size").inner_text().startswith("400×300 px, WebP")
    assert fits_the_screen(editor)
