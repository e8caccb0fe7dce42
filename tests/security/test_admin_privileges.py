"""What an admin permission lets a staff user do goes no further than that permission: the spec
editor's check signs rendition URLs only for those who may write specs and see assets, and an API
key (which acts on everything the API can do) is issued only by a superuser."""

from __future__ import annotations

import io
import time

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from assets.ingest import ingest
from assets.models import ApiKey
from tests import images

pytestmark = pytest.mark.django_db
CHECK = "/admin/renditions/renditionspec/check/"
KEYS = "/admin/assets/apikey/"


def staff(django_user_model, *codenames: str) -> Client:
    user = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_seeing_specs_is_not_enough_to_have_urls_signed(django_user_model, filesystem_storage) -> None:
    # given an asset, and a staff user who may only look at specs
    asset = ingest(io.BytesIO(images.jpeg((400, 300))), filename="a.jpg")
    client = staff(django_user_model, "view_renditionspec", "view_asset")
    # when they ask the spec editor's check for a costly spec on that asset
    response = client.get(
        CHECK, {"spec": "fit-4096x4096|upscale|blur-100|format-png", "asset": str(asset.pk)}
    )
    # then they are refused, and no URL was signed
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_the_check_previews_only_for_those_who_may_see_assets(django_user_model, filesystem_storage) -> None:
    # given an asset, and a staff user who may write specs but not see assets
    asset = ingest(io.BytesIO(images.jpeg((400, 300))), filename="a.jpg")
    client = staff(django_user_model, "change_renditionspec")
    # when they check a spec naming that asset
    body = client.get(CHECK, {"spec": "width-100", "asset": str(asset.pk)}).json()
    # then the spec is checked, but neither the asset nor a URL is shown
    assert body["canonical"] == "width-100" and body["errors"] == [] and body["preview"] is None


def test_a_preview_url_expires_within_twenty_minutes(django_user_model, filesystem_storage) -> None:
    # given a staff user who may write specs and see assets
    asset = ingest(io.BytesIO(images.jpeg((400, 300))), filename="a.jpg")
    client = staff(django_user_model, "add_renditionspec", "view_asset")
    # when they check a spec, twice
    first = client.get(CHECK, {"spec": "width-100", "asset": str(asset.pk)}).json()["preview"]["url"]
    again = client.get(CHECK, {"spec": "width-100", "asset": str(asset.pk)}).json()["preview"]["url"]
    # then the URL is the same (the browser's cache holds) and says when it ends: 10 to 20 minutes on
    token = first.split("/")[3]
    _, _, expires = token.partition("-")
    assert first == again and expires
    assert 600 <= int(expires) - time.time() <= 1200
    # and it renders, cached no longer than it lives
    response = client.get(first)
    assert response.status_code == 200
    assert int(response["Cache-Control"].rsplit("=", 1)[1]) <= 1200


def test_only_a_superuser_issues_api_keys(django_user_model, admin_client) -> None:
    # given a staff user allowed to add API keys, and nothing else
    client = staff(django_user_model, "add_apikey", "view_apikey")
    # when they try to issue a key
    page = client.get(f"{KEYS}add/")
    posted = client.post(f"{KEYS}add/", {"name": "mine", "read_only": ""})
    # then they are refused and no key exists
    assert (page.status_code, posted.status_code) == (403, 403)
    assert not ApiKey.objects.exists()
    # and a superuser still can
    assert admin_client.post(f"{KEYS}add/", {"name": "ours", "read_only": ""}).status_code == 200
    assert ApiKey.objects.get().name == "ours"


def test_a_keys_kind_and_revocation_do_not_change_afterwards(django_user_model) -> None:
    # given a read-only key and a revoked one, and a staff user who may change keys
    read_only, _ = ApiKey.issue("reader", read_only=True)
    revoked, _ = ApiKey.issue("gone")
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at="2026-01-01T00:00:00Z")
    client = staff(django_user_model, "change_apikey", "view_apikey")
    # when they post the change form turning one read-write and un-revoking the other
    for key in (read_only, revoked):
        response = client.post(
            f"{KEYS}{key.pk}/change/", {"name": "renamed", "read_only": "", "revoked_at": ""}
        )
        assert response.status_code == 302
    # then only the names changed
    read_only.refresh_from_db()
    revoked.refresh_from_db()
    assert (read_only.name, read_only.read_only) == ("renamed", True)
    assert revoked.name == "renamed" and revoked.revoked_at is not None


def test_a_read_only_spec_page_offers_no_check(django_user_model, filesystem_storage) -> None:
    from renditions.models import RenditionSpec

    thumb = RenditionSpec.objects.get(name="thumb")
    url = f"/admin/renditions/renditionspec/{thumb.pk}/change/"
    # a viewer gets the page without the live check (nothing to type in, and the check refuses them)
    viewer = staff(django_user_model, "view_renditionspec").get(url).content.decode()
    assert "Check and preview" not in viewer and 'id="spec-check"' not in viewer


def test_a_spec_editor_who_may_not_see_assets_is_told_why_there_is_no_preview(
    django_user_model, filesystem_storage
) -> None:
    from renditions.models import RenditionSpec

    ingest(io.BytesIO(images.jpeg((400, 300))), filename="a.jpg")
    thumb = RenditionSpec.objects.get(name="thumb")
    page = staff(django_user_model, "change_renditionspec", "view_renditionspec").get(
        f"/admin/renditions/renditionspec/{thumb.pk}/change/"
    )
    text = page.content.decode()
    assert "Check and preview" in text and "A preview needs permission to view assets." in text
    assert 'id="spec-sample"' not in text
