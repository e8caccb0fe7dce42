"""Near-duplicates through the API: the upload's 201 `similar`, GET assets/{id}/similar/, and the
asset JSON's `placeholder` and `focal_point.source`."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests import scenes
from tests.api.conftest import assert_problem
from tests.api.test_direct_uploads import send, start

pytestmark = pytest.mark.django_db(transaction=True)


def upload(api: APIClient, data: bytes, name: str = "a.png") -> dict:
    response = api.post("/api/v1/assets/", {"file": SimpleUploadedFile(name, data)}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def test_the_upload_answer_lists_the_near_duplicates_closest_first(
    api: APIClient, filesystem_storage
) -> None:
    # given a picture and an unrelated one in the library
    first = upload(api, scenes.encoded(scenes.scene(1), "PNG"))
    assert first["similar"] == []
    other = upload(api, scenes.encoded(scenes.scene(2), "PNG"))
    # when the same picture again, and then a near copy, arrive
    same = upload(api, scenes.encoded(scenes.scene(1), "PNG"), "again.png")
    copy = upload(api, scenes.near_copy(scenes.scene(1)), "copy.jpg")
    # then each answer names the earlier look-alikes (never itself, nor the unrelated picture)
    assert same["similar"] == [{"id": first["id"], "distance": 0}]
    ids = [entry["id"] for entry in copy["similar"]]
    assert set(ids) == {first["id"], same["id"]} and other["id"] not in ids
    assert copy["similar"][0]["distance"] <= copy["similar"][1]["distance"] <= 8


def test_a_direct_uploads_complete_lists_them_too(api: APIClient, filesystem_storage) -> None:
    first = upload(api, scenes.encoded(scenes.scene(4), "PNG"))
    data = scenes.near_copy(scenes.scene(4))
    started = start(api, data, name="copy.jpg")
    assert send(api, filesystem_storage, started["instructions"], data) in (200, 201, 204)
    completed = api.post(f"/api/v1/uploads/{started['upload']['id']}/complete/", {}, format="json")
    assert completed.status_code == 201, completed.content
    assert [entry["id"] for entry in completed.json()["similar"]] == [first["id"]]


def test_the_similar_endpoint_answers_full_assets_closest_first(api: APIClient, filesystem_storage) -> None:
    # given a picture, its near copy, the picture itself again, and an unrelated one
    original = upload(api, scenes.encoded(scenes.scene(5), "PNG"))
    copy = upload(api, scenes.near_copy(scenes.scene(5)), "copy.jpg")
    again = upload(api, scenes.encoded(scenes.scene(5), "PNG"), "again.png")
    upload(api, scenes.encoded(scenes.scene(6), "PNG"), "other.png")
    # when
    response = api.get(f"/api/v1/assets/{original['id']}/similar/")
    # then
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["asset"]["id"] for r in results] == [again["id"], copy["id"]]
    assert results[0]["distance"] == 0 and results[1]["distance"] >= 0
    assert set(results[0]["asset"]) >= {"renditions", "srcset", "placeholder", "focal_point", "tags"}
    # and max_distance 0 keeps only the identical picture
    exact = api.get(f"/api/v1/assets/{original['id']}/similar/", {"max_distance": 0}).json()["results"]
    assert [r["asset"]["id"] for r in exact] == [r["asset"]["id"] for r in results if r["distance"] == 0]
    assert exact[0]["asset"]["id"] == again["id"]


def test_the_similar_endpoint_validates_max_distance_and_answers_404(read_only_api: APIClient, api: APIClient,
                                                                    filesystem_storage) -> None:  # fmt: skip
    asset = upload(api, scenes.encoded(scenes.scene(7), "PNG"))
    url = f"/api/v1/assets/{asset['id']}/similar/"
    for bad in ("twelve", "-1", "12", "3.5"):
        body = assert_problem(read_only_api.get(url, {"max_distance": bad}), 400, "invalid")
        assert "max_distance" in body["errors"]
    assert read_only_api.get(url, {"max_distance": "11"}).status_code == 200
    assert_problem(read_only_api.get(f"/api/v1/assets/{uuid.uuid4()}/similar/"), 404, "not_found")
    assert_problem(APIClient().get(url), 401, "not_authenticated")


def test_the_asset_json_has_the_placeholder_and_whose_focal_point_it_is(
    api: APIClient, filesystem_storage
) -> None:
    # given a picture with its subject on the right
    asset = upload(api, scenes.encoded(scenes.subject_off_centre(at=0.8), "PNG"))
    url = f"/api/v1/assets/{asset['id']}/"
    # then its placeholder and its automatic focal point are in the JSON
    assert asset["placeholder"]["color"].startswith("#") and len(asset["placeholder"]["color"]) == 7
    assert len(asset["placeholder"]["blurhash"]) == 28
    assert asset["focal_point"]["source"] == "auto" and asset["focal_point"]["x"] > 0.7
    # when an editor sets a point, it wins
    body = api.patch(url, {"focal_point": {"x": 0.1, "y": 0.2}}, format="json").json()
    assert body["focal_point"] == {"x": 0.1, "y": 0.2, "source": "editor"}
    # and clearing it brings the automatic one back
    body = api.patch(url, {"focal_point": None}, format="json").json()
    assert body["focal_point"]["source"] == "auto" and body["focal_point"]["x"] > 0.7


def test_automatic_focal_points_can_be_turned_off(api: APIClient, filesystem_storage, settings) -> None:
    settings.DAM_AUTO_FOCAL_POINT = False
    asset = upload(api, scenes.encoded(scenes.subject_off_centre(at=0.8), "PNG"))
    assert asset["focal_point"] is None
