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
# PostgreSQL: 3 statements, no transaction: the lookup (rendition, asset and spec in one query,
# and the advisory lock on the URL's key tried in it when the row is missing), the INSERT … ON
# CONFLICT of the row, the unlock. SQLite (no advisory locks: a lease row): the lookup, a find, the lease
# INSERT … ON CONFLICT, the find under the lease, the row's INSERT, the lease's DELETE.
# Lower these as the path gets leaner; a rise fails.
COLD_REQUEST_QUERIES = {"sqlite": 6, "postgresql": 3}


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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the lookup's advisory lock")
@pytest.mark.parametrize("how", ["stale key", "unknown spec", "render fails"])
def test_a_lock_the_lookup_took_is_never_left_held(client, how: str, monkeypatch) -> None:
    # given a cold URL whose lookup takes the lock (a key with its format, no row yet)
    asset = ingest(io.BytesIO(images.jpeg((400, 300))), filename="held.jpg")
    named = RenditionSpec.objects.create(name="held", spec="fill-120x90|format-webp")
    url = services.named_url(asset, named)
    if how == "stale key":  # a well-formed key that is not the current one: redirected
        url = url.rsplit("/", 1)[0] + "/" + "0" * 20 + ".webp"
        expected = 302
    elif how == "unknown spec":
        url = url.replace("/held/", "/nosuch/")
        expected = 404
    else:

        def fail(*args: object, **kwargs: object) -> None:
            raise services.Overloaded("storage down")

        monkeypatch.setattr(services, "_fetch_original", fail)
        expected = 503
    # when it is asked for, then the answer is given and no lock stays held on the connection
    assert client.get(url).status_code == expected
    assert services.renders_in_flight() == 0
    # and the same URL still renders once nothing stands in its way
    monkeypatch.undo()
    assert client.get(services.named_url(asset, named)).status_code in (200, 302)
    assert services.renders_in_flight() == 0
