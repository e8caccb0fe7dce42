"""Embedded metadata (XMP, IPTC, EXIF) read at ingest: files written by exiftool, the admin and
API paths, editor values winning, GPS kept only when asked, hostile XMP, replacement, backfill."""

from __future__ import annotations

import io
import struct
import time
import zlib
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets import embedded
from assets.ingest import AssetFields, ingest
from assets.models import Asset
from assets.replace import replace_file
from tests import exiftool, images

pytestmark = pytest.mark.django_db(transaction=True)

MAKERS = {"JPEG": images.jpeg, "PNG": images.png, "WEBP": images.webp}


def tagged(fmt: str, *tags: str, size: tuple[int, int] = (120, 80)) -> bytes:
    return exiftool.write(MAKERS[fmt](size), fmt, *tags)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_files_metadata_fills_the_asset_where_the_uploader_sent_nothing(fmt: str) -> None:
    # given a file whose XMP and EXIF exiftool wrote
    data = tagged(fmt, *exiftool.FULL)
    # when it is uploaded with no fields
    asset = ingest(io.BytesIO(data), filename="DSCF0001.jpg")
    asset.refresh_from_db()
    # then the asset's editable fields come from the file (x-default title, not the German one)
    assert asset.title == "Harbour at dawn"
    assert asset.caption == "Fishing boats leave the harbour."
    assert asset.credit == "Lima / Agency"
    assert asset.copyright == "© 2024 Ana Lima"
    assert sorted(t.name for t in asset.tags.all()) == ["boats", "sea"]
    # and what the file said is stored, with the moment it was taken (its offset applied)
    assert asset.taken_at == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    assert asset.embedded["creator"] == "Ana Lima"
    assert asset.embedded["camera_make"] == "Fujifilm"
    assert asset.embedded["camera_model"] == "X-T5"
    assert asset.embedded["lens"] == "XF23mmF1.4 R LM WR"
    assert asset.embedded["taken_at"] == "2024-05-01T06:30:00+02:00"
    assert "xmp" in asset.embedded["sources"] and "exif" in asset.embedded["sources"]
    # and no position: GPS is not kept by default
    assert "gps" not in asset.embedded


def test_the_editors_values_win_over_the_files() -> None:
    # given a tagged file, uploaded with the editor's own title, credit and tags
    data = tagged("JPEG", *exiftool.FULL)
    fields = AssetFields(title="Our title", credit="Desk", tags=["harbour"], caption="", copyright="")
    # when
    asset = ingest(io.BytesIO(data), filename="a.jpg", fields=fields)
    asset.refresh_from_db()
    # then what the editor sent stays; only the empty ones come from the file
    assert (asset.title, asset.credit) == ("Our title", "Desk")
    assert [t.name for t in asset.tags.all()] == ["harbour"]
    assert asset.caption == "Fishing boats leave the harbour."
    assert asset.copyright == "© 2024 Ana Lima"
    assert asset.embedded["title"] == "Harbour at dawn"  # the file's own values are kept beside


def test_a_file_without_metadata_keeps_the_file_name_as_title() -> None:
    asset = ingest(io.BytesIO(images.jpeg((64, 48))), filename="harbour.jpg")
    asset.refresh_from_db()
    assert asset.title == "harbour"
    assert asset.taken_at is None
    assert asset.embedded == {"sources": []}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_is_stored_only_when_enabled(settings, fmt: str) -> None:
    data = tagged(fmt, *exiftool.FULL)
    settings.DAM_STORE_GPS = True
    asset = ingest(io.BytesIO(data), filename="a.jpg")
    asset.refresh_from_db()
    assert asset.embedded["gps"] == {"latitude": 38.7, "longitude": -9.14}


def test_iptc_in_utf8_with_its_marker_and_several_keywords() -> None:
    # given IPTC-IIM only (no XMP), UTF-8 declared in 1:90
    data = tagged("JPEG", "-codedcharacterset=utf8", "-IPTC:ObjectName=Café Überfahrt",
                  "-IPTC:Caption-Abstract=Über den Fluss", "-IPTC:By-line=Zoë", "-IPTC:Credit=Zoë / dpa",
                  "-IPTC:CopyrightNotice=© Zoë", "-IPTC:Keywords=Fluss", "-IPTC:Keywords=Fähre",
                  "-IPTC:DateCreated=2023:08:09", "-IPTC:TimeCreated=14:05:00+01:00")  # fmt: skip
    asset = ingest(io.BytesIO(data), filename="a.jpg")
    asset.refresh_from_db()
    assert (asset.title, asset.caption, asset.credit, asset.copyright) == (
        "Café Überfahrt", "Über den Fluss", "Zoë / dpa", "© Zoë")  # fmt: skip
    assert asset.embedded["creator"] == "Zoë"
    assert sorted(t.name for t in asset.tags.all()) == ["fluss", "fähre"]
    assert asset.taken_at == datetime(2023, 8, 9, 13, 5, tzinfo=UTC)
    assert asset.embedded["sources"] == ["iptc"]


def test_iptc_in_latin1_without_a_charset_is_read_as_latin1() -> None:
    # given IPTC written in Latin-1 (exiftool's -charset iptc=Latin), no 1:90 marker
    data = tagged("JPEG", "-charset", "iptc=Latin", "-IPTC:ObjectName=Café", "-IPTC:Keywords=Crème")
    assert "Caf\xe9".encode("latin-1") in data  # the bytes really are Latin-1
    asset = ingest(io.BytesIO(data), filename="a.jpg")
    asset.refresh_from_db()
    assert asset.title == "Café"
    assert [t.name for t in asset.tags.all()] == ["crème"]


def test_xmp_wins_over_iptc_and_exif_is_the_last_resort() -> None:
    data = tagged("JPEG", "-XMP-dc:Title=From XMP", "-IPTC:ObjectName=From IPTC",
                  "-EXIF:ImageDescription=From EXIF", "-EXIF:Copyright=EXIF ©", "-EXIF:Artist=Exif Artist")  # fmt: skip
    asset = ingest(io.BytesIO(data), filename="a.jpg")
    asset.refresh_from_db()
    assert asset.title == "From XMP"
    assert asset.copyright == "EXIF ©"
    assert asset.credit == "Exif Artist"


@pytest.mark.parametrize("bad", ["0000:00:00 00:00:00", "2024:13:45 25:61:00"])
def test_a_bad_date_is_no_date(bad: str) -> None:
    data = tagged("JPEG", f"-EXIF:DateTimeOriginal={bad}", "-XMP-dc:Title=t")
    asset = ingest(io.BytesIO(data), filename="a.jpg")
    asset.refresh_from_db()
    assert asset.taken_at is None
    assert asset.title == "t"


def test_a_date_without_an_offset_is_taken_as_utc() -> None:
    asset = ingest(io.BytesIO(tagged("JPEG", "-EXIF:DateTimeOriginal=2020:02:29 23:59:58")), filename="a.jpg")
    asset.refresh_from_db()
    assert asset.taken_at == datetime(2020, 2, 29, 23, 59, 58, tzinfo=UTC)
    assert asset.embedded["taken_at"] == "2020-02-29T23:59:58"


# --- hostile XMP: refused, and the upload still succeeds ------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&lol9;</dc:title></rdf:Description>
</rdf:RDF></x:xmpmeta>"""


def with_app1_xmp(jpeg: bytes, packet: bytes) -> bytes:
    payload = embedded.XMP_SIGNATURE + packet
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_billion_laughs_in_xmp_is_refused_and_the_upload_succeeds() -> None:
    # given a JPEG with real IPTC (exiftool) and an entity-expansion bomb as its XMP
    data = with_app1_xmp(tagged("JPEG", "-IPTC:ObjectName=Safe title"), BILLION_LAUGHS)
    # when
    started = time.perf_counter()
    asset = ingest(io.BytesIO(data), filename="a.jpg")
    # then the XMP was refused without expanding anything, and the rest was read
    assert time.perf_counter() - started < 5
    asset.refresh_from_db()
    assert asset.title == "Safe title"
    assert any(note.startswith("xmp refused") for note in asset.embedded["notes"])
    assert "lol" not in str(asset.embedded)


def png_with_itxt(png: bytes, keyword: bytes, text: bytes) -> bytes:
    body = keyword + b"\x00\x00\x00\x00\x00" + text
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    return png[:33] + chunk + png[33:]  # after IHDR


def test_oversized_xmp_is_ignored_and_the_upload_succeeds() -> None:
    # given a PNG (exiftool wrote its EXIF) carrying a 300 KiB XMP packet
    base = tagged("PNG", "-EXIF:Make=Canon")
    huge = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b" " * (300 * 1024) + b"</x:xmpmeta>"
    data = png_with_itxt(base, b"XML:com.adobe.xmp", huge)
    # when
    asset = ingest(io.BytesIO(data), filename="a.png")
    asset.refresh_from_db()
    # then
    assert asset.embedded["camera_make"] == "Canon"
    assert any(note.startswith("xmp ignored") for note in asset.embedded["notes"])


def test_garbage_xmp_and_exif_never_fail_an_upload() -> None:
    jpeg = images.jpeg((64, 48))
    data = with_app1_xmp(jpeg, b"<not xml")
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff"  # an IFD claiming 65535 entries
    data = data[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + data[2:]
    asset = ingest(io.BytesIO(data), filename="a.jpg")
    asset.refresh_from_db()
    assert asset.title == "a"
    assert asset.embedded["notes"]


# --- pure parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-05-01T06:30:00+02:00", "2024-05-01T06:30:00+02:00"),
    ("2024:05:01 06:30:00", "2024-05-01T06:30:00"),
    ("2024-05", "2024-05-01T00:00:00"),
    ("2024-05-01T06:30Z", "2024-05-01T06:30:00+00:00"),
    ("0000:00:00 00:00:00", None), ("2024-02-30", None), ("yesterday", None), ("", None),
])  # fmt: skip
def test_dates_are_parsed_or_refused(text: str, expected: str | None) -> None:
    parsed = embedded.parse_date(text)
    assert (parsed.isoformat() if parsed else None) == expected


def test_iim_extended_lengths_and_truncation_are_bounded() -> None:
    block = b"\x1c\x02\x05\x80\x02\x00\x03abc" + b"\x1c\x02\x19\x00\x10short"  # extended, then truncated
    assert embedded.read_iim(block) == {(2, 5): [b"abc"]}


def test_reading_is_cheap_on_a_4_mp_jpeg() -> None:
    # given a 4 MP camera-like JPEG with XMP, IPTC and EXIF
    data = exiftool.write(images.jpeg((2448, 1632)), "JPEG", *exiftool.FULL, "-IPTC:ObjectName=x")
    source = io.BytesIO(data)
    embedded.read_embedded(source, "JPEG")
    # when read many times
    runs = 50
    started = time.perf_counter()
    for _ in range(runs):
        found = embedded.read_embedded(source, "JPEG")
    per_read = (time.perf_counter() - started) / runs
    # then each read costs well under the budget of a few milliseconds (no pixel is decoded)
    assert found.title == "Harbour at dawn"
    assert per_read < 0.005, f"{per_read * 1000:.2f} ms per read"


# --- replacement: the new file's metadata, the editor's fields kept ------------------------------


def test_replacing_the_file_rereads_its_metadata_and_keeps_the_editors_fields() -> None:
    asset = ingest(io.BytesIO(tagged("JPEG", *exiftool.FULL)), filename="a.jpg")
    Asset.objects.filter(pk=asset.pk).update(title="Edited title")
    new = tagged("JPEG", "-XMP-dc:Title=Second file", "-EXIF:DateTimeOriginal=2025:01:02 03:04:05")
    # when
    replace_file(asset.pk, io.BytesIO(new), filename="b.jpg")
    # then
    asset.refresh_from_db()
    assert asset.title == "Edited title"
    assert asset.embedded["title"] == "Second file"
    assert asset.taken_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    version = asset.versions.get()
    assert version.embedded["title"] == "Harbour at dawn"  # the kept file keeps its own
    assert version.taken_at == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)


# --- the admin's upload path ----------------------------------------------------------------------


def test_the_admin_upload_fills_from_the_file_and_shows_it(admin_client) -> None:
    data = tagged("JPEG", *exiftool.FULL)
    response = admin_client.post(reverse("admin:assets_asset_upload"),
                                 {"files": [SimpleUploadedFile("DSCF.jpg", data)], "title": "", "tags": ""})  # fmt: skip
    assert response.status_code == 302, response.content
    asset = Asset.objects.get()
    assert asset.title == "Harbour at dawn"
    assert asset.credit == "Lima / Agency"
    page = admin_client.get(reverse("admin:assets_asset_change", args=[asset.pk])).content.decode()
    assert 'id="embedded"' in page
    assert "XF23mmF1.4 R LM WR" in page


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [("38.7", "-9.14", {"latitude": 38.7, "longitude": -9.14}),
     ("-33.8568", "151.2153", {"latitude": -33.8568, "longitude": 151.2153})],
)  # fmt: skip
def test_a_position_only_in_xmp_is_read_when_enabled(settings, latitude, longitude, expected) -> None:
    # given a file whose only position is XMP's (exiftool writes it "38,42.0N", "9,8.4W")
    data = tagged("JPEG", f"-XMP-exif:GPSLatitude={latitude}", f"-XMP-exif:GPSLongitude={longitude}",
                  "-XMP-dc:Title=Somewhere")  # fmt: skip
    # when GPS is kept, it is read; when not (the default), it is not
    settings.DAM_STORE_GPS = True
    kept = ingest(io.BytesIO(data), filename="a.jpg")
    settings.DAM_STORE_GPS = False
    dropped = ingest(io.BytesIO(data), filename="b.jpg")
    assert kept.embedded["gps"] == expected
    assert "gps" not in dropped.embedded and dropped.embedded["title"] == "Somewhere"


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("38,42.0N", ""), ("91,0.0N", "9,8.4W"), ("38,61.0N", "9,8.4W"), ("38,42.0E", "9,8.4W"), ("x", "y")],
)
def test_an_xmp_position_that_is_not_one_is_ignored(latitude: str, longitude: str) -> None:
    from assets.embedded import xmp_position

    assert xmp_position(latitude, longitude) is None
    assert xmp_position("38,42,30.5N", "9,8,24W") == (38.7084722, -9.14)
