"""The asset JSON is written out by hand for speed (AssetSerializer.to_representation); DRF's own
representation of the declared fields (the schema's source) must give the same document, field
for field and in the same order, for every kind of asset."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.utils.encoders import JSONEncoder

from api.views import asset_serializer
from assets.ingest import ingest
from assets.models import Asset, AssetUsage, Collection, Licence, Tag
from renditions.models import RenditionSpec
from tests import images

pytestmark = pytest.mark.django_db


def variety() -> list[Asset]:
    root = Collection.default()
    news = Collection.objects.add_child(root, create_kwargs={"name": "News"})
    sport = Collection.objects.add_child(news, create_kwargs={"name": "Sport"})
    plain = ingest(io.BytesIO(images.jpeg((120, 80))), filename="plain.jpg")
    Asset.objects.filter(pk=plain.pk).update(auto_focal_x=None, auto_focal_y=None)  # no point at all
    rich = ingest(io.BytesIO(images.png((90, 160), mode="RGBA")), filename="rich.png")
    rich.title, rich.alt_text, rich.caption, rich.credit, rich.copyright = (
        "Tïtle",
        "Alt",
        "Cap",
        "Cred",
        "© X",
    )
    rich.collection, rich.focal_x, rich.focal_y = sport, 0.25, 0.75
    rich.licence, rich.licence_detail, rich.usage_terms = Licence.choices[1][0], "agency 12", "web only"
    rich.rights_expire_on = date.today() + timedelta(days=3)
    rich.embedded = {"title": "From XMP", "keywords": ["a", "b"]}
    rich.taken_at = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)  # no fraction: still six digits
    rich.exif = {"Make": "Cam", "Orientation": 6}
    rich.save()
    rich.tags.set([Tag.objects.get_or_create(name=n)[0] for n in ("zeta", "alpha")])
    AssetUsage.objects.create(asset=rich, external_id="article:1", url="https://app.example/1")
    failed = ingest(io.BytesIO(images.jpeg((40, 30))), filename="failed.jpg")
    Asset.objects.filter(pk=failed.pk).update(status=Asset.Status.FAILED, failure_reason="corrupt_image: x",
                                              placeholder="", rights_expire_on=date(2000, 1, 1),
                                              collection=news, auto_focal_x=0.1, auto_focal_y=0.9)  # fmt: skip
    return list(Asset.objects.for_api().order_by("created_at"))


def test_the_hand_written_json_is_drfs_own_for_every_kind_of_asset() -> None:
    # given assets that exercise every field (nulls, nested collection, both focal point sources,
    # rights states, metadata, usages, a failure) and a format-auto spec among the named ones
    RenditionSpec.objects.create(name="auto", spec="width-100|format-auto")
    assets = variety()
    request = Request(APIRequestFactory().get("/api/v1/assets/"))
    # when
    serializer = asset_serializer(request, assets)
    fast = serializer.data
    # then DRF's generic to_representation of the same serializer, with the same context, agrees
    generic = [serializers.ModelSerializer.to_representation(serializer.child, a) for a in assets]
    as_json = [json.dumps(doc, cls=JSONEncoder) for doc in fast]
    expected = [json.dumps(doc, cls=JSONEncoder) for doc in generic]
    for got, want in zip(as_json, expected, strict=True):
        differing = {
            k: (v, json.loads(want).get(k))
            for k, v in json.loads(got).items()
            if json.loads(want).get(k) != v
        }
        assert differing == {} and got == want
    # and the variety is real: every kind of value appeared
    docs = [json.loads(j) for j in as_json]
    assert {d["focal_point"]["source"] if d["focal_point"] else None for d in docs} == {
        None,
        "editor",
        "auto",
    }
    assert {d["rights"]["status"] for d in docs} >= {"expired", "expiring", "unknown"}
    assert any(d["taken_at"] for d in docs) and any(d["usage_count"] for d in docs)
    assert any(d["collection"]["path"].count("/") == 2 for d in docs)
    assert [d["tags"] for d in docs] == [[], ["alpha", "zeta"], []]  # by name, whichever way they were read
