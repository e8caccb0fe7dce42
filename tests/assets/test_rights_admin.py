"""Rights in the admin: the Rights fieldset, the list filter, badges on cards and rows, the
asset page's warning when the rights have ended."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assets.ingest import AssetFields, ingest
from assets.models import Asset
from tests import images

pytestmark = pytest.mark.django_db(transaction=True)


def make(title: str, *, days: int | None = None, licence: str = "") -> Asset:
    expiry = None if days is None else timezone.localdate() + timedelta(days=days)
    return ingest(io.BytesIO(images.jpeg((64, 48))), filename=f"{title}.jpg",
                  fields=AssetFields(title=title, licence=licence, rights_expire_on=expiry))  # fmt: skip


def form(asset: Asset, **changes: str) -> dict[str, str]:
    return {"title": asset.title, "alt_text": "", "caption": "", "credit": "", "copyright": "", "focal_x": "",
            "focal_y": "", "collection": str(asset.collection_id), "tag_names": "", "licence": asset.licence,
            "licence_detail": "", "usage_terms": "", "rights_expire_on": "", **changes}  # fmt: skip


def test_an_editor_sets_the_rights_and_a_bad_licence_is_refused(admin_client) -> None:
    asset = make("harbour")
    url = reverse("admin:assets_asset_change", args=[asset.pk])
    refused = admin_client.post(url, form(asset, licence="made-up"))
    assert refused.status_code == 200 and b"Select a valid choice" in refused.content
    response = admin_client.post(url, form(asset, licence="cc_by", licence_detail="4.0",
                                            usage_terms="Credit the author.", rights_expire_on="2031-01-31"))  # fmt: skip
    assert response.status_code == 302, response.content
    asset.refresh_from_db()
    assert (asset.licence, asset.licence_detail, asset.usage_terms, str(asset.rights_expire_on)) == (
        "cc_by", "4.0", "Credit the author.", "2031-01-31")  # fmt: skip


def test_the_list_filters_by_rights(admin_client) -> None:
    make("ended", days=-1)
    make("soon", days=10)
    make("licensed", licence="cc0")
    make("forever")
    url = reverse("admin:assets_asset_changelist")

    def titles(value: str) -> set[str]:
        response = admin_client.get(url, {"rights": value, "view": "table"}, follow=True)
        return {a.title for a in response.context["cl"].result_list}

    assert titles("expired") == {"ended"}
    assert titles("expiring") == {"soon"}
    assert titles("valid") == {"licensed"}
    assert titles("no_expiry") == {"licensed", "forever"}


@pytest.mark.parametrize("view", ["grid", "table"])
def test_expired_and_expiring_assets_are_marked_in_the_library(admin_client, view: str) -> None:
    make("ended", days=0)
    make("soon", days=30)
    make("fine", days=31)
    url = reverse("admin:assets_asset_changelist")
    page = admin_client.get(url, {"view": view}, follow=True).content.decode()
    assert page.count('class="rights-badge is-expired"') == 1
    assert page.count('class="rights-badge is-expiring"') == 1


def test_the_asset_page_warns_when_the_rights_have_ended(admin_client) -> None:
    ended, fine = make("ended", days=-5), make("fine", licence="cc0")
    page = admin_client.get(reverse("admin:assets_asset_change", args=[ended.pk])).content.decode()
    assert 'id="rights-warning"' in page and "ended on" in page
    assert 'id="rights-warning"' not in admin_client.get(
        reverse("admin:assets_asset_change", args=[fine.pk])).content.decode()  # fmt: skip
