"""What a cold request costs in SQL: the count is held, so a regression fails here first."""

from __future__ import annotations

import io

import pytest
from django.db import connection

from assets.ingest import ingest
from renditions import services
from renditions.models import Rendition, RenditionSpec
from tests import images

pytestmark = pytest.mark.django_db(transaction=True)

# Measured on a cold named-rendition request (no rendition row yet), in either delivery mode:
# 9 statements (hit lookup, asset, spec, find, lease insert, find, get_or_create's select and
# insert, lease delete) and the BEGIN/COMMIT of the three transactions around the writes, which
# Django counts too. Lower these as the path gets leaner; a rise fails.
COLD_REQUEST_QUERIES = {"sqlite": 15, "postgresql": 15}


@pytest.mark.parametrize("delivery", ["proxy", "redirect"])
def test_a_cold_named_rendition_request_makes_at_most_its_measured_queries(
    client, settings, django_assert_max_num_queries, delivery: str
) -> None:
    # given an asset and a named spec nobody has asked for yet
    settings.DAM_DELIVERY = delivery
    asset = ingest(io.BytesIO(images.jpeg((400, 300))), filename="cold.jpg")
    named = RenditionSpec.objects.create(name="cold", spec="fill-120x90|format-webp")
    url = services.named_url(asset, named)
    # when it is asked for
    with django_assert_max_num_queries(COLD_REQUEST_QUERIES[connection.vendor]):
        response = client.get(url)
    # then it was made (the request really was cold)
    assert response.status_code == (200 if delivery == "proxy" else 302)
    assert Rendition.objects.filter(asset=asset, spec_name="cold").count() == 1
