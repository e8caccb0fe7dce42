"""Every error under /r/ is the delivery's short plain-text answer with `no-store`: a CDN must
never keep it, an <img> never gets an HTML page, and bad input (a NUL byte, which PostgreSQL
refuses outright) is a 4xx, never a 500."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from renditions import services

pytestmark = pytest.mark.django_db

ASSET = "00000000-0000-4000-8000-000000000000"
KEY = "0123456789abcdef0123"


def assert_delivery_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Error-Code"] == code
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(f"{code}: ".encode()) and len(response.content) < 200


BAD_PATHS = [
    (f"/r/{ASSET}/th%00umb/{KEY}.webp", 404, "unknown_spec"),
    (f"/r/{ASSET}/%00/{KEY}.webp", 404, "unknown_spec"),
    (f"/r/{ASSET}/Thumb/{KEY}.webp", 404, "unknown_spec"),
    (f"/r/{ASSET}/thumb/{KEY}%00.webp", 400, "invalid_spec"),
    (f"/r/{ASSET}/thumb/not-a-key", 400, "invalid_spec"),
    (f"/r/{ASSET}/tok%00en/width-10/{KEY}.webp", 403, "bad_signature"),
    (f"/r/{ASSET}/token/width-10%00/{KEY}.webp", 403, "bad_signature"),
    (f"/r/{ASSET}/thumb/{KEY}.webp", 404, "not_found"),
    ("/r/not-a-uuid/thumb/x.webp", 404, "not_found"),
    (f"/r/{ASSET}/", 404, "not_found"),
    (f"/r/{ASSET}/a/b/c/d/e", 404, "not_found"),
    ("/r/%00", 404, "not_found"),
]


@pytest.mark.parametrize(("path", "status", "code"), BAD_PATHS, ids=[p for p, _, _ in BAD_PATHS])
def test_bad_rendition_urls_get_the_plain_delivery_error(
    client: Client, path: str, status: int, code: str
) -> None:
    assert_delivery_error(client.get(path), status, code)


def test_other_methods_are_405_in_the_delivery_format(client: Client) -> None:
    response = client.post(f"/r/{ASSET}/thumb/{KEY}.webp")
    assert_delivery_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


def test_a_bug_under_r_is_a_plain_500_never_an_html_page(client: Client, monkeypatch) -> None:
    # given a failure no domain error covers (a bug): Django's 500 handler answers
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "lookup", broken)
    client.raise_request_exception = False
    # when
    response = client.get(f"/r/{uuid.uuid4()}/thumb/{KEY}.webp")
    # then
    assert_delivery_error(response, 500, "error")
    assert b"a bug" not in response.content and b"<html" not in response.content.lower()


def test_outside_r_and_api_django_pages_are_unchanged(client: Client) -> None:
    response = client.get("/nothing-here/")
    assert response.status_code == 404 and "text/html" in response["Content-Type"]


def test_a_request_django_refuses_before_any_view_is_plain_under_r(client: Client) -> None:
    # given a Host header that is not one of DAM_ALLOWED_HOSTS (Django refuses it: DisallowedHost)
    response = client.get(f"/r/{ASSET}/thumb/{KEY}.webp", HTTP_HOST="evil.example")
    # then the delivery format, not Django's HTML page, and the host is not echoed
    assert_delivery_error(response, 400, "invalid")
    assert b"evil.example" not in response.content


def test_a_request_django_refuses_before_any_view_is_problem_json_under_api(client: Client) -> None:
    response = client.get("/api/v1/assets/", HTTP_HOST="evil.example")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid" and response["Cache-Control"] == "no-store"
    assert b"evil.example" not in response.content


def test_a_refused_request_elsewhere_keeps_djangos_page(client: Client) -> None:
    response = client.get("/admin/", HTTP_HOST="evil.example")
    assert response.status_code == 400 and "text/html" in response["Content-Type"]
