"""The asset page: each named rendition's real state with snippets, "make now", status read-only
with "retry", EXIF as a table, one focal point section, format names written one way."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.urls import reverse
from PIL import ExifTags

from assets.editor import asset_page
from assets.ingest import AssetFields, ingest
from assets.models import Asset
from renditions import services
from renditions.models import Rendition, RenditionSpec
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(storage) -> Asset:
    exif = {ExifTags.Base.Make: "Canon", ExifTags.Base.Model: "EOS R5", ExifTags.Base.Copyright: "Jo Doe"}
    return ingest(io.BytesIO(images.jpeg((1200, 800), exif=exif)), filename="harbour.jpg",
                  fields=AssetFields(alt_text='Boats "at" dawn'))  # fmt: skip


def page_of(client, asset: Asset) -> str:
    return client.get(reverse("admin:assets_asset_change", args=[asset.pk])).content.decode()


def card(page: str, name: str) -> str:
    match = re.search(rf'<article class="rendition-card[^"]*" data-name="{name}">.*?</article>', page, re.S)
    assert match, name
    return match.group(0)


def test_each_named_rendition_shows_its_real_state(admin_client, asset) -> None:
    # given the thumb made, the others not
    thumb = RenditionSpec.objects.get(name="thumb")
    made = services.get_or_generate(services.Target.build(asset, thumb.spec, named=thumb))
    page = page_of(admin_client, asset)
    # then
    ready = card(page, "thumb")
    assert "is-ready" in ready and "200×200" in ready and f"WebP {_size(made.byte_size)}" in ready
    assert "<img src=" in ready and "Make now" not in ready
    missing = card(page, "medium")
    assert (
        "not made yet" in missing and "960×640" in missing and "Make now" in missing and "<img" not in missing
    )


def test_a_spec_the_asset_cannot_make_is_failed_with_its_reason(admin_client, asset) -> None:
    RenditionSpec.objects.create(name="tiny-crop", spec="crop-5000,5000,10x10")  # outside 1200×800
    failing = card(page_of(admin_client, asset), "tiny-crop")
    assert "is-failed" in failing and "rendition-reason" in failing


def test_snippets_are_ready_to_paste(admin_client, asset) -> None:
    cards = {c.name: c for c in asset_page.rendition_cards(asset, _request())}
    medium = cards["medium"]
    assert medium.snippets["url"] == medium.url and medium.url.startswith("http://testserver/r/")
    img = medium.snippets["img"]
    assert img.startswith(f'<img src="{medium.url}" srcset="')
    assert (
        f"{cards['small'].url} 480w" in img
        and f"{medium.url} 960w" in img
        and f"{cards['large'].url} 1200w" in img
    )
    assert 'alt="Boats &quot;at&quot; dawn" width="960" height="640">' in img
    assert 'sizes="(max-width: 960px) 100vw, 960px"' in img
    rails = medium.snippets["rails"]
    assert rails.startswith(f'<%= image_tag "{medium.url}", srcset: {{ "{cards["small"].url}" => "480w", ')
    assert 'alt: "Boats \\"at\\" dawn", width: 960, height: 640 %>' in rails
    # a crop has no same-shaped sibling: its srcset is itself
    assert f'srcset="{cards["og"].url} 1200w"' in cards["og"].snippets["img"]


def test_the_rails_snippet_cannot_interpolate() -> None:
    assert asset_page._ruby('#{system("x")}') == '"\\#{system(\\"x\\")}"'


def test_make_now_makes_it_and_answers_json_to_the_script(admin_client, asset, storage) -> None:
    url = reverse("admin:assets_asset_make_now", args=[asset.pk])
    response = admin_client.post(url, {"spec": "small"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "ready" and body["variants"][0]["width"] == 480
    assert Rendition.objects.filter(asset=asset, spec__name="small").exists()


def test_make_now_without_javascript_redirects_back(admin_client, asset) -> None:
    url = reverse("admin:assets_asset_make_now", args=[asset.pk])
    response = admin_client.post(url, {"spec": "thumb"})
    assert response.status_code == 302 and response["Location"].endswith("#renditions")
    unknown = admin_client.post(url, {"spec": "nope"}, HTTP_ACCEPT="application/json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_spec"


def test_status_is_read_only_with_retry_for_failed(
    admin_client, asset, django_capture_on_commit_callbacks
) -> None:
    url = reverse("admin:assets_asset_change", args=[asset.pk])
    assert 'name="status"' not in page_of(admin_client, asset)
    Asset.objects.filter(pk=asset.pk).update(status="failed", failure_reason="overloaded: gave up")
    page = page_of(admin_client, asset)
    assert "overloaded: gave up" in page and 'form="retry-form"' in page
    # when retried (in-process without a broker), the eager renditions are made and it is ready
    with django_capture_on_commit_callbacks(execute=True):  # the retry is queued after commit
        admin_client.post(reverse("admin:assets_asset_retry", args=[asset.pk]))
    asset.refresh_from_db()
    assert asset.status == "ready" and asset.failure_reason == ""
    # and saving the form never touches the status
    Asset.objects.filter(pk=asset.pk).update(status="failed")
    admin_client.post(url, {"title": "T", "alt_text": "", "caption": "", "collection": asset.collection_id,
                            "credit": "", "copyright": "", "focal_x": "", "focal_y": "", "tag_names": "",
                            "status": "ready"})  # fmt: skip
    asset.refresh_from_db()
    assert asset.title == "T" and asset.status == "failed"


def test_exif_is_a_table(admin_client, asset) -> None:
    page = page_of(admin_client, asset)
    exif = re.search(r'<fieldset class="module asset-panel" id="exif">.*?</fieldset>', page, re.S).group(0)
    assert '<th scope="row">Camera make</th><td>Canon</td>' in exif
    assert '<th scope="row">Copyright</th><td>Jo Doe</td>' in exif
    assert "{" not in exif  # no raw JSON


def test_the_focal_point_picker_and_fields_are_one_section(admin_client, asset) -> None:
    page = page_of(admin_client, asset)
    assert page.count(">Focal point</h2>") == 1
    section = re.search(r">Focal point</h2>.*?</fieldset>", page, re.S).group(0)
    assert 'id="focal-image"' in section and 'id="id_focal_x"' in section and 'id="id_focal_y"' in section


@pytest.mark.parametrize(("code", "label"), [("JPEG", "JPEG"), ("PNG", "PNG"), ("GIF", "GIF"), ("WEBP", "WebP"),
                                             ("AVIF", "AVIF"), ("HEIF", "HEIC")])  # fmt: skip
def test_format_names_are_written_one_way(admin_client, asset, code, label) -> None:
    Asset.objects.filter(pk=asset.pk).update(format=code)
    assert f"<td>{label} <span" in page_of(admin_client, asset)
    admin_client.get("/admin/assets/asset/", {"view": "table"})
    assert (
        f'<td class="field-format_column">{label}</td>'
        in admin_client.get("/admin/assets/asset/").content.decode()
    )


def test_help_texts_sit_under_their_fields(admin_client) -> None:
    """The upload page uses the admin's aligned markup: help inside the field's block, after it."""
    page = admin_client.get(reverse("admin:assets_asset_upload")).content.decode()
    assert re.search(
        r'<div class="flex-container">\s*<label for="id_title">.*?</div>\s*<div class="help"', page, re.S
    )


def _request():
    from django.test import RequestFactory

    return RequestFactory().get("/")


def _size(count: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return html.escape(str(filesizeformat(count)))
