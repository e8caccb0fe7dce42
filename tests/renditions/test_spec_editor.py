"""The spec editor: every problem at once (the parser's own words), a live check endpoint with a
preview on a sample asset, and the list's renditions made and bytes per spec."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from assets.ingest import ingest
from renditions import services
from renditions.models import RenditionSpec
from renditions.specs import Spec, SpecLimits
from tests import images

CHECK = "/admin/renditions/renditionspec/check/"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("fill-800x600|format-webp", []),
        ("fill-800x|format-bmp", ["“fill-800x”: expected WIDTHxHEIGHT, e.g. fill-800x600.",
                                  "“format-bmp”: one of jpeg, png, webp, avif, gif, auto."]),
        ("fit-10x10|fill-20x20|nope", ["“fill-20x20” conflicts with “fit-10x10”: one resize per spec.",
                                       "“nope” is not an operation"]),
        ("width-100||height-100|", ["The spec has an empty operation"]),
        ("|".join(["grayscale"] * 9), ["The spec has more than 8 operations.", "“grayscale” conflicts"]),
    ],
)  # fmt: skip
def test_problems_lists_every_problem_in_order(text, problems) -> None:
    found = Spec.problems(text, SpecLimits())
    assert len(found) >= len(problems)
    for expected, actual in zip(problems, found, strict=False):
        assert actual.startswith(expected)


@pytest.mark.parametrize("text", ["fill-800x|format-bmp", "fit-10x10|fill-20x20", "", "x" * 300, "width-0"])
def test_parse_raises_the_first_problem(text) -> None:
    from renditions.exceptions import InvalidSpec

    problems = Spec.problems(text, SpecLimits())
    if not problems:
        Spec.parse(text)
        return
    with pytest.raises(InvalidSpec) as raised:
        Spec.parse(text, SpecLimits())
    assert raised.value.message == problems[0]


@pytest.mark.django_db
def test_the_check_endpoint_shows_every_problem(admin_client) -> None:
    body = admin_client.get(CHECK, {"spec": "fill-800x|format-bmp"}).json()
    assert body["canonical"] is None and len(body["errors"]) == 2 and body["preview"] is None


@pytest.mark.django_db
def test_the_check_endpoint_previews_on_a_sample(admin_client, storage) -> None:
    asset = ingest(io.BytesIO(images.jpeg((1600, 900))), filename="wide.jpg")
    body = admin_client.get(CHECK, {"spec": "format-webp|fill-400x300", "asset": str(asset.pk)}).json()
    assert body["errors"] == [] and body["canonical"] == "fill-400x300|format-webp"
    preview = body["preview"]
    assert (preview["width"], preview["height"], preview["format"]) == (400, 300, "WebP")
    assert preview["asset"]["id"] == str(asset.pk)
    # the preview URL is a real, signed rendition URL
    response = admin_client.get(preview["url"])
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"


@pytest.mark.django_db
def test_a_spec_impossible_on_the_sample_says_why(admin_client, storage) -> None:
    asset = ingest(io.BytesIO(images.jpeg((100, 100))), filename="small.jpg")
    body = admin_client.get(CHECK, {"spec": "crop-500,500,10x10", "asset": str(asset.pk)}).json()
    assert body["errors"] == [] and "error" in body["preview"]


@pytest.mark.django_db
def test_the_check_needs_an_admin(client) -> None:
    response = client.get(CHECK, {"spec": "width-10"})
    assert response.status_code == 302  # to the login page


@pytest.mark.django_db
def test_the_form_shows_every_problem(admin_client) -> None:
    response = admin_client.post(reverse("admin:renditions_renditionspec_add"),
                                 {"name": "card", "spec": "fill-800x|format-bmp", "description": ""})  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200
    assert "expected WIDTHxHEIGHT" in page and "one of jpeg, png, webp, avif, gif, auto" in page


@pytest.mark.django_db
def test_the_list_counts_renditions_made_and_their_bytes(admin_client, storage) -> None:
    asset = ingest(io.BytesIO(images.jpeg((800, 600))), filename="a.jpg")
    thumb = RenditionSpec.objects.get(name="thumb")
    made = services.get_or_generate(services.Target.build(asset, thumb.spec, named=thumb))
    page = admin_client.get(reverse("admin:renditions_renditionspec_changelist")).content.decode()
    from django.template.defaultfilters import filesizeformat

    row = page.split('href="/admin/renditions/renditionspec/')[1:]
    thumb_row = next(r for r in row if ">thumb<" in r.split("</tr>")[0])
    assert '<td class="field-made_column">1</td>' in thumb_row
    assert f'<td class="field-bytes_column">{filesizeformat(made.byte_size)}</td>' in thumb_row
