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

# A cold named-rendition request (no rendition row yet), in either delivery mode:
# PostgreSQL: 4 statements, no transaction: the lookup (rendition, asset and spec in one query),
# the advisory lock taken in the statement that looks for the row again, the INSERT … ON CONFLICT
# of the row, the unlock. SQLite (no advisory locks: a lease row): the lookup, a find, the lease
# INSERT … ON CONFLICT, the find under the lease, the row's INSERT, the lease's DELETE.
# Lower these as the path gets leaner; a rise fails.
COLD_REQUEST_QUERIES = {"sqlite": 6, "postgresql": 4}


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
    assert "render;dur=" in response["Server-Timing"]


def test_a_warm_request_is_one_query(client, django_assert_num_queries) -> None:
    # given a rendition already made (and no per-process memo: the autouse fixture turns it off)
    asset = ingest(io.BytesIO(images.jpeg((400, 300))), filename="warm.jpg")
    named = RenditionSpec.objects.create(name="warm", spec="fill-120x90|format-webp")
    url = services.named_url(asset, named)
    assert client.get(url).status_code == 200
    # when it is asked for again
    with django_assert_num_queries(1):
        response = client.get(url)
    # then it is served from that one query
    assert response.status_code == 200 and "Server-Timing" not in response
