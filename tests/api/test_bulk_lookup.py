"""Bulk lookup: ``GET assets/?ids=a,b,c`` answers one page in the order asked, with the ids it
does not hold in ``missing``; bad ids are ``400 invalid``."""

from __future__ import annotations

import io
import uuid

import pytest
from rest_framework.test import APIClient

from api.filters import MAX_BULK_IDS
from assets.ingest import AssetFields, ingest
from assets.models import Asset
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_asset(filesystem_storage):
    def make(name: str = "photo.jpg", **fields) -> Asset:
        return ingest(io.BytesIO(images.jpeg((60, 40))), filename=name, fields=AssetFields(**fields))

    return make


def ids_of(body: dict) -> list[str]:
    return [asset["id"] for asset in body["results"]]


def test_the_answer_is_in_the_order_asked_with_the_missing_listed(api: APIClient, make_asset) -> None:
    # given three assets and an id that does not exist
    a, b, c = (str(make_asset(f"{n}.jpg").id) for n in "abc")
    ghost = str(uuid.uuid4())
    # when asked out of creation order, with a repeat
    response = api.get("/api/v1/assets/", {"ids": ",".join([b, ghost, a, c, b])})
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert ids_of(body) == [b, a, c]
    assert body["missing"] == [ghost]
    assert (body["next"], body["previous"]) == (None, None)
    assert set(body["results"][0]) >= {"renditions", "srcset", "tags"}  # the same shape as the list


@pytest.mark.parametrize("spelling", ["comma", "repeated", "rails"])
def test_every_list_spelling_is_one_list(api: APIClient, make_asset, spelling: str) -> None:
    a, b = (str(make_asset(f"{n}.jpg").id) for n in "ab")
    query = {"comma": f"ids={b},{a}", "repeated": f"ids={b}&ids={a}", "rails": f"ids[]={b}&ids[]={a}"}[
        spelling
    ]
    response = api.get(f"/api/v1/assets/?{query}")
    assert response.status_code == 200, response.content
    assert ids_of(response.json()) == [b, a]


def test_other_filters_apply_and_what_they_leave_out_is_missing(api: APIClient, make_asset) -> None:
    sea, land = (str(make_asset(f"{t}.jpg", tags=[t]).id) for t in ("sea", "land"))
    body = api.get("/api/v1/assets/", {"ids": f"{land},{sea}", "tag": "sea"}).json()
    assert (ids_of(body), body["missing"]) == ([sea], [land])


def test_the_largest_lookup_is_one_page_in_fixed_queries(
    api: APIClient, make_asset, django_assert_max_num_queries
) -> None:
    made = [str(make_asset(f"{i}.jpg").id) for i in range(3)]
    asked = made + [str(uuid.uuid4()) for _ in range(MAX_BULK_IDS - len(made))]
    api.get("/api/v1/assets/", {"page_size": 1})  # the key's last_used_at is written once per 5 min
    with django_assert_max_num_queries(6):
        body = api.get("/api/v1/assets/", {"ids": ",".join(reversed(asked))}).json()
    assert ids_of(body) == list(reversed(made))
    assert len(body["missing"]) == MAX_BULK_IDS - len(made)


@pytest.mark.parametrize("query", [
    "ids=",  # empty: never "no filter" (the whole list)
    "ids=not-a-uuid",
    f"ids={uuid.uuid4()},42",
    f"ids={uuid.uuid4()},,{uuid.uuid4()}",  # an empty entry
    "ids[]=",
    "ids=" + ",".join(str(uuid.uuid4()) for _ in range(MAX_BULK_IDS + 1)),
    f"ids={uuid.uuid4()}%00",
    f"ids={uuid.uuid4()}&cursor=cD0yMDI2",  # one page: no cursor...
    f"ids={uuid.uuid4()}&page_size=10",  # ...and no page size
])  # fmt: skip
def test_bad_ids_are_400_invalid(api: APIClient, query: str) -> None:
    body = assert_problem(api.get(f"/api/v1/assets/?{query}"), 400, "invalid")
    assert set(body["errors"]) <= {"ids", "ids[]", "cursor"} and body["errors"], body


def test_two_hundred_repeats_of_one_id_are_one_id(api: APIClient, make_asset) -> None:
    one = str(make_asset().id)
    body = api.get("/api/v1/assets/", {"ids": ",".join([one] * (MAX_BULK_IDS + 50))}).json()
    assert ids_of(body) == [one] and body["missing"] == []
