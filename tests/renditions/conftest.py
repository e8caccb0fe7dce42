from __future__ import annotations

import io

import pytest

from assets.ingest import ingest
from assets.models import Asset
from renditions.models import RenditionSpec
from tests import images


@pytest.fixture
def asset(storage) -> Asset:
    """A 120×80 JPEG asset on the parametrised storage (filesystem, then S3 via moto)."""
    return ingest(io.BytesIO(images.jpeg((120, 80))), filename="photo.jpg")


@pytest.fixture
def thumb(db) -> RenditionSpec:
    return RenditionSpec.objects.create(name="test-thumb", spec="fill-40x40|format-webp")
