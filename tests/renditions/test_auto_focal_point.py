"""The automatic focal point through the real rendition path: fill crops centre on the subject."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from assets.ingest import AssetFields, ingest
from assets.models import Asset
from renditions import services
from renditions.models import RenditionSpec
from tests import scenes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def narrow(db) -> RenditionSpec:
    return RenditionSpec.objects.create(name="narrow", spec="fill-100x400|format-png")


def rendered(client: Client, asset: Asset, spec: RenditionSpec) -> Image.Image:
    response = client.get(services.named_url(asset, spec))
    assert response.status_code == 200, response.content
    image = Image.open(
        io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))
    )
    image.load()
    return image.convert("RGB")


def reddish(image: Image.Image) -> bool:
    r, g, b = image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return r > b + 40 and r > g + 30


def subject_at(at: float, **fields: float) -> Asset:
    data = scenes.encoded(scenes.subject_off_centre((800, 400), at=at), "PNG")
    return ingest(io.BytesIO(data), filename="subject.png", fields=AssetFields(**fields))


def test_fill_crops_centre_on_the_subject_found_at_ingest(client: Client, narrow, storage, settings) -> None:
    # given a disc at 80 % across a flat background, and a fill much narrower than the image
    settings.DAM_DELIVERY = "proxy"
    asset = subject_at(0.8)
    # when the rendition is requested
    output = rendered(client, asset, narrow)
    # then it shows the subject, not the empty middle
    assert output.size == (100, 400)
    assert reddish(output.crop((0, 150, 100, 250)))


def test_the_editors_point_wins(client: Client, narrow, filesystem_storage, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    asset = subject_at(0.8, focal_x=0.1, focal_y=0.5)
    assert not reddish(rendered(client, asset, narrow))


def test_turned_off_fill_crops_the_centre_again(client: Client, narrow, filesystem_storage, settings) -> None:
    settings.DAM_DELIVERY = "proxy"
    asset = subject_at(0.8)
    url_with = services.named_url(asset, narrow)
    settings.DAM_AUTO_FOCAL_POINT = False
    # the URL changes (the key hashes the point fill uses) and the output is the centre
    assert services.named_url(asset, narrow) != url_with
    assert not reddish(rendered(client, asset, narrow))
    # and the URL made with the automatic point redirects to the current one
    response = client.get(url_with)
    assert response.status_code == 302 and response["Location"] == services.named_url(asset, narrow)
