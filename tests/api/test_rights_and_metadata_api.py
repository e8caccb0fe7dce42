"""API: the file's embedded metadata in the asset JSON, and rights (write, validate, filter)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from assets.models import Asset
from tests import exiftool, images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db(transaction=True)


def upload(api: APIClient, data: bytes, **fields):
    return api.post(
        "/api/v1/assets/", {"file": SimpleUploadedFile("DSCF.jpg", data), **fields}, format="multipart"
    )


def days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_api_upload_carries_the_files_metadata(api: APIClient, fmt: str) -> None:
    # given a file exiftool tagged
    data = exiftool.write({"JPEG": images.jpeg, "PNG": images.png, "WEBP": images.webp}[fmt]((120, 80)), fmt,
                          *exiftool.FULL)  # fmt: skip
    # when the Rails app uploads it with a title of its own
    response = upload(api, data, title="Rails title")
    # then its title wins, the rest comes from the file, and the file's own values are listed
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Rails title"
    assert (body["caption"], body["credit"], body["copyright"]) == (
        "Fishing boats leave the harbour.", "Lima / Agency", "© 2024 Ana Lima")  # fmt: skip
    assert body["tags"] == ["boats", "sea"]
    assert body["taken_at"] == "2024-05-01T04:30:00.000000Z"  # in UTC, like every time in the API
    meta = body["embedded_metadata"]
    assert meta["title"] == "Harbour at dawn"
    assert meta["keywords"] == ["boats", "sea"]
    assert (meta["camera_make"], meta["camera_model"], meta["lens"]) == (
        "Fujifilm",
        "X-T5",
        "XF23mmF1.4 R LM WR",
    )
    assert "gps" not in meta
    # and the fields are read-only: sending one is refused, and says so
    patched = api.patch(f"/api/v1/assets/{body['id']}/", {"taken_at": "2000-01-01T00:00:00Z"}, format="json")
    assert patched.status_code == 400 and patched.json()["errors"]["taken_at"][0].startswith("Read-only")
    assert api.get(f"/api/v1/assets/{body['id']}/").json()["taken_at"] == body["taken_at"]


def test_an_asset_never_read_says_null(api: APIClient, make_asset) -> None:
    asset = make_asset()
    Asset.objects.filter(pk=asset.pk).update(embedded=None)
    body = api.get(f"/api/v1/assets/{asset.pk}/").json()
    assert body["embedded_metadata"] is None and body["taken_at"] is None


# --- rights -------------------------------------------------------------------------------------


def test_rights_are_written_on_create_in_a_form_and_read_back(api: APIClient) -> None:
    # when the Rails app sends rights as Rails names nested form fields
    response = upload(api, images.jpeg(), **{"rights[licence]": "cc_by_sa", "rights[licence_detail]": "4.0",
                                             "rights[usage_terms]": "Credit the author.", "rights[expires_on]": days(10)})  # fmt: skip
    # then
    assert response.status_code == 201, response.content
    assert response.json()["rights"] == {"licence": "cc_by_sa", "licence_detail": "4.0",
                                         "usage_terms": "Credit the author.", "expires_on": days(10),
                                         "status": "expiring"}  # fmt: skip


def test_an_empty_expiry_in_a_form_is_no_expiry(api: APIClient, make_asset) -> None:
    asset = make_asset(rights_expire_on=timezone.localdate())
    response = api.patch(f"/api/v1/assets/{asset.pk}/", {"rights[expires_on]": ""}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["rights"]["expires_on"] is None


def test_an_asset_without_rights_is_unknown(api: APIClient, make_asset) -> None:
    body = api.get(f"/api/v1/assets/{make_asset().pk}/").json()
    assert body["rights"] == {"licence": "", "licence_detail": "", "usage_terms": "", "expires_on": None,
                              "status": "unknown"}  # fmt: skip


# Offsets in days, turned into dates inside the test: a date computed at collection time is a day
# out when the run crosses midnight.
@pytest.mark.parametrize(("licence", "in_days", "status"), [
    ("cc0", None, "valid"),
    ("agency", 31, "valid"),
    (None, 30, "expiring"),
    (None, 1, "expiring"),
    (None, 0, "expired"),
    ("editorial_only", -3, "expired"),
])  # fmt: skip
def test_rights_status_from_the_expiry_date(
    api: APIClient, make_asset, licence, in_days, status: str
) -> None:
    rights = {} if licence is None else {"licence": licence}
    if in_days is not None:
        rights["expires_on"] = days(in_days)
    response = api.patch(f"/api/v1/assets/{make_asset().pk}/", {"rights": rights}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["rights"]["status"] == status


def test_a_partial_rights_update_changes_only_what_it_sends(api: APIClient, make_asset) -> None:
    asset = make_asset(licence="agency", licence_detail="Getty #123")
    response = api.patch(f"/api/v1/assets/{asset.pk}/", {"rights": {"expires_on": days(90)}}, format="json")
    assert response.json()["rights"]["licence_detail"] == "Getty #123"
    cleared = api.patch(f"/api/v1/assets/{asset.pk}/", {"rights": {"expires_on": None}}, format="json")
    assert cleared.json()["rights"]["expires_on"] is None
    assert cleared.json()["rights"]["licence"] == "agency"


@pytest.mark.parametrize("rights", [
    {"licence": "cc-by-nc-whatever"},
    {"expires_on": "next tuesday"},
    {"expires_on": "2026-02-30"},
    {"licence_detail": "x" * 256},
    {"licence": 5, "expires_on": "soon"},
    "cc0",
])  # fmt: skip
def test_bad_rights_are_refused_with_a_stable_code_and_change_nothing(
    api: APIClient, make_asset, rights
) -> None:
    asset = make_asset(title="before")
    body = assert_problem(api.patch(f"/api/v1/assets/{asset.pk}/", {"rights": rights, "title": "after"},
                                    format="json"), 400, "invalid_rights")  # fmt: skip
    assert "rights" in body["errors"]
    asset.refresh_from_db()
    assert (asset.title, asset.licence, asset.rights_expire_on) == ("before", "", None)


def test_bad_rights_on_create_store_nothing(api: APIClient, storage) -> None:
    assert_problem(upload(api, images.jpeg(), **{"rights[licence]": "nope"}), 400, "invalid_rights")
    assert Asset.objects.count() == 0 and storage.names() == set()


def test_the_list_filters_by_rights_status(api: APIClient, make_asset) -> None:
    today = timezone.localdate()
    expired = make_asset(rights_expire_on=today - timedelta(days=1))
    expiring = make_asset(rights_expire_on=today + timedelta(days=5))
    valid = make_asset(licence="cc_by")
    unknown = make_asset()

    def ids(value: str) -> set[str]:
        response = api.get("/api/v1/assets/", {"rights": value})
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("expired") == {str(expired.pk)}
    assert ids("EXPIRING") == {str(expiring.pk)}
    assert ids("valid") == {str(valid.pk)}
    assert ids("unknown") == {str(unknown.pk)}
    assert_problem(api.get("/api/v1/assets/", {"rights": "stale"}), 400, "invalid")


def test_the_window_is_a_setting(api: APIClient, make_asset, settings) -> None:
    settings.DAM_RIGHTS_EXPIRING_DAYS = 7
    asset = make_asset(rights_expire_on=timezone.localdate() + timedelta(days=10))
    assert api.get(f"/api/v1/assets/{asset.pk}/").json()["rights"]["status"] == "valid"
