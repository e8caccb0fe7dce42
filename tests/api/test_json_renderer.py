"""The API's JSON is written by orjson (dam.renderers.JSONRenderer) for speed; it must be DRF's own
JSONRenderer's: the same bytes, except that a float may be spelled otherwise (``0.00001`` for
``1e-05``: the same number), for real answers and for every type DRF's encoder knows."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer

from assets.ingest import AssetFields, ingest
from dam.renderers import JSONRenderer
from tests import images


def both(data: Any, media_type: str | None = None) -> tuple[bytes, bytes]:
    return JSONRenderer().render(data, media_type), DrfJSONRenderer().render(data, media_type)


@pytest.mark.django_db
def test_an_asset_list_is_drfs_json_byte_for_byte(api: Any, filesystem_storage: Any) -> None:
    # given assets with non-ASCII text, JavaScript's line separators, dates and a focal point
    fields = AssetFields(title="Hafen – Ålesund 港", caption="line\u2028para\u2029end", focal_x=0.1, focal_y=1e-05,
                         tags=["ünïcode"], rights_expire_on=date(2031, 2, 3))  # fmt: skip
    ingest(io.BytesIO(images.jpeg((120, 80))), filename="hafen.jpg", fields=fields)
    ingest(io.BytesIO(images.png((40, 30))), filename="plain.png")
    # when the Rails app lists them
    response = api.get("/api/v1/assets/")
    # then the bytes are what DRF's renderer writes for the same data
    assert response.status_code == 200
    ours, drf = both(response.data)
    assert json.loads(ours) == json.loads(drf)
    assert ours.replace(b"0.00001", b"1e-05") == drf  # the only float spelled otherwise
    assert b"\\u2028" in ours and "港".encode() in ours  # escaped as DRF does; UTF-8, not \\u escapes


@pytest.mark.parametrize("value", [
    {"when": datetime(2026, 11, 27, 18, 30, 1, 123456, tzinfo=UTC), "day": date(2026, 1, 2), "at": time(9, 5),
     "for": timedelta(seconds=90)},  # DRF writes milliseconds and Z; orjson would not
    {"id": uuid.UUID(int=7), "price": Decimal("1.10"), "lazy": gettext_lazy("Assets"), "set": {3}},
    {1: "int key", "big": 2**70, "nested": [[{}], []], "flag": True, "none": None},
    ["\u2029", "é", "\x00", "\"quoted\"", "back\\slash"],
])  # fmt: skip
def test_every_type_drf_knows_comes_out_as_drf_writes_it(value: Any) -> None:
    ours, drf = both(value)
    assert ours == drf


def test_a_float_is_the_same_number_however_spelled() -> None:
    values = [0.1, 1e-05, 1e-7, 1e16, -0.0, 0.3333333333333333, 5e-324, 1.7976931348623157e308]
    ours, drf = both(values)
    assert json.loads(ours) == json.loads(drf) == values


def test_pretty_printed_answers_are_drfs_own() -> None:
    data = {"a": [1, 2]}
    ours, drf = both(data, "application/json; indent=2")
    assert ours == drf and b"\n" in ours


def test_a_nan_is_null_where_drf_would_fail_the_response() -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        DrfJSONRenderer().render({"x": float("nan")})
    assert JSONRenderer().render({"x": float("nan")}) == b'{"x":null}'
