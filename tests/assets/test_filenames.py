"""File names never decide the outcome: one sanitising rule on every path (admin, API multipart,
direct upload); the bytes are judged, the name is only shown."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from assets.filenames import MAX_NAME_BYTES, safe_display_name
from assets.models import Asset
from tests import images
from tests.api.conftest import assert_problem
from tests.api.test_direct_uploads import send, start
from tests.conftest import StorageProbe

BOUNDARY = "dam-test-boundary"


def multipart(field: str, filename: str, data: bytes) -> bytes:
    """A multipart body naming the file exactly ``filename`` (Django's test client refuses to
    send names such as ``.`` at all; browsers and curl do send them)."""
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{quoted}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode()  # fmt: skip
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def post_file(client, url: str, field: str, filename: str, data: bytes):
    return client.generic("POST", url, multipart(field, filename, data),
                          content_type=f"multipart/form-data; boundary={BOUNDARY}")  # fmt: skip


LONG_UTF8 = "é" * 1500 + ".jpg"  # 3 KB of UTF-8
LONG_EXTENSION = "photo." + "ü" * 600  # an "extension" no filesystem could hold
HOSTILE_NAMES = [
    ".",
    "..",
    "...",
    " ",
    LONG_UTF8,
    LONG_EXTENSION,
    "a/b/../..",
    "\u202egpj.exe",
    "\x01\x02.png",
    "",
]
NAME_IDS = [
    "dot",
    "dotdot",
    "dots",
    "space",
    "3kb-utf8",
    "long-extension",
    "path",
    "bidi",
    "control",
    "empty",
]
# Through multipart, every name but "" (a browser's way of saying "no file chosen": Django reads
# such a part as a plain field, and so do browsers' own form semantics).
SENT = HOSTILE_NAMES[:-1]
SENT_IDS = NAME_IDS[:-1]


@pytest.mark.parametrize(("name", "expected"), [
    (".", "upload"), ("..", "upload"), ("", "upload"), ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\photo.JPG", "photo.JPG"), ("\u202egpj.exe", "gpj.exe"), ("a\tb\nc.png", "a b c.png"),
    ("café.jpg", "café.jpg"),
])  # fmt: skip
def test_safe_display_name(name: str, expected: str) -> None:
    assert safe_display_name(name) == expected


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=NAME_IDS)
def test_display_names_are_short_printable_and_never_empty(name: str) -> None:
    shown = safe_display_name(name)
    assert shown and shown.isprintable() and len(shown.encode()) <= MAX_NAME_BYTES
    assert "/" not in shown and shown not in (".", "..")


def test_a_long_name_keeps_its_extension() -> None:
    shown = safe_display_name(LONG_UTF8)
    assert shown.endswith(".jpg") and len(shown.encode()) <= MAX_NAME_BYTES


pytestmark = pytest.mark.django_db(transaction=True)


# Django keeps uploads over FILE_UPLOAD_MAX_MEMORY_SIZE in a temp file named after the client's
# extension: a big file exercises that path too.
SIZES = {"small": (120, 80), "spooled": (1600, 1200)}


def _photo(kind: str) -> bytes:
    if kind == "small":
        return images.jpeg(SIZES[kind])
    noise = Image.effect_noise(SIZES[kind], 80).convert("RGB")  # noise: JPEG cannot shrink it
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=100)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "kind"), [
    *[(name, "small") for name in SENT],
    *[(name, "spooled") for name in (".", LONG_UTF8, LONG_EXTENSION)],
], ids=[*[f"{i}-small" for i in SENT_IDS], "dot-spooled", "3kb-utf8-spooled", "long-extension-spooled"])  # fmt: skip
def test_api_multipart_judges_the_bytes_whatever_the_name(
    api: APIClient, filesystem_storage: StorageProbe, name: str, kind: str, settings
) -> None:
    if kind == "spooled":
        assert len(_photo(kind)) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    # when
    response = post_file(api, "/api/v1/assets/", "file", name, _photo(kind))
    # then
    assert response.status_code == 201, response.content
    shown = response.json()["filename"]
    assert shown and len(shown.encode()) <= MAX_NAME_BYTES


@pytest.mark.parametrize("name", [".", LONG_UTF8], ids=["dot", "3kb-utf8"])
def test_an_empty_file_is_empty_whatever_its_name(api: APIClient, admin_client, name: str) -> None:
    # API
    response = post_file(api, "/api/v1/assets/", "file", name, b"")
    assert_problem(response, 400, "empty_file")
    # admin
    response = post_file(admin_client, reverse("admin:assets_asset_upload"), "files", name, b"")
    assert response.status_code == 400
    assert b"The file is empty." in response.content
    assert Asset.objects.count() == 0


@pytest.mark.parametrize("name", SENT, ids=SENT_IDS)
def test_admin_judges_the_bytes_whatever_the_name(
    admin_client, filesystem_storage: StorageProbe, name: str
) -> None:
    response = post_file(admin_client, reverse("admin:assets_asset_upload"), "files", name, images.jpeg())
    assert response.status_code == 302, response.content.decode()[:2000]
    shown = Asset.objects.get().original_filename
    assert shown and len(shown.encode()) <= MAX_NAME_BYTES


@pytest.mark.parametrize(
    "name", [".", "..", LONG_UTF8, "\u202egpj.exe"], ids=["dot", "dotdot", "3kb-utf8", "bidi"]
)
def test_direct_upload_judges_the_bytes_whatever_the_name(
    api: APIClient, storage: StorageProbe, name: str
) -> None:
    # given
    data = images.jpeg()
    started = start(api, data, name=name)
    assert send(api, storage, started["instructions"], data) in (200, 201, 204)
    # when
    response = api.post(f"/api/v1/uploads/{started['upload']['id']}/complete/", {}, format="json")
    # then
    assert response.status_code == 201, response.content
    assert response.json()["filename"] == safe_display_name(name)
