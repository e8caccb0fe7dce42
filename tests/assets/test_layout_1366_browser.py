"""Nothing overflows sideways at 1366 px, on every page an editor uses."""

from __future__ import annotations

import io

import pytest

from assets.ingest import AssetFields, ingest
from assets.models import Collection
from tests import images
from tests.assets.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_page_overflows_at_1366_px(editor, live_server) -> None:
    # given a library with long names in it
    deep = Collection.objects.add_child(
        Collection.default(), create_kwargs={"name": "A collection with a rather long name " * 2}
    )
    asset = ingest(io.BytesIO(images.jpeg((2400, 800))), filename="a-very-long-file-name-" * 6 + ".jpg",
                   fields=AssetFields(tags=["a-long-tag-name-for-the-layout"] * 1 + ["news"], collection_id=deep.pk))  # fmt: skip
    pages = [
        "/", "/admin/", "/admin/assets/asset/?view=grid", "/admin/assets/asset/?view=table",
        f"/admin/assets/asset/?collection={deep.pk}", "/admin/assets/asset/upload/",
        f"/admin/assets/asset/{asset.pk}/change/", "/admin/assets/collection/", "/admin/assets/collection/add/",
        "/admin/renditions/renditionspec/", "/admin/renditions/renditionspec/add/", "/admin/renditions/rendition/",
        "/admin/assets/apikey/", "/admin/assets/webhookendpoint/", "/admin/assets/upload/",
    ]  # fmt: skip
    overflowing = []
    for path in pages:
        editor.goto(live_server.url + path)
        editor.wait_for_load_state("networkidle")
        if not fits_the_screen(editor):
            overflowing.append(
                (
                    path,
                    editor.evaluate("""() => [...document.querySelectorAll(
                '#changelist .results, .asset-panel, fieldset.module')].filter(b => b.scrollWidth > b.clientWidth + 1)
                .map(b => `${b.id || b.className}: ${b.scrollWidth} > ${b.clientWidth}`).join('; ')"""),
                )
            )
    assert overflowing == [], "\n".join(map(str, overflowing))
