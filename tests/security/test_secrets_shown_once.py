"""Secrets made by the server are shown once, in the page, never in a cookie or a later page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from assets.models import ApiKey, WebhookEndpoint

pytestmark = pytest.mark.django_db
SECRET_SHOWN = re.compile(r'<code class="shown-once"[^>]*>([^<]+)</code>')


def _cookies_text(response) -> str:
    return " ".join(morsel.OutputString() for morsel in response.cookies.values())


def test_a_new_api_key_is_shown_in_the_page_and_never_in_a_cookie(admin_client) -> None:
    # when
    response = admin_client.post("/admin/assets/apikey/add/", {"name": "rails", "read_only": "on"})
    # then
    assert response.status_code == 200
    shown = SECRET_SHOWN.findall(response.content.decode())
    assert len(shown) == 1 and shown[0].startswith(ApiKey.PREFIX)
    assert ApiKey.objects.get(name="rails").hashed_key == ApiKey.digest(shown[0])
    assert shown[0] not in _cookies_text(response) and "messages" not in response.cookies
    assert "no-store" in response["Cache-Control"]
    # and no later page shows it again
    assert shown[0] not in admin_client.get("/admin/assets/apikey/").content.decode()


def test_a_webhook_secret_is_made_by_the_server_and_shown_once(admin_client, settings) -> None:
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    # when an editor creates an endpoint, even trying to choose its secret
    response = admin_client.post("/admin/assets/webhookendpoint/add/", {
        "url": "http://127.0.0.1:9/hook", "secret": "hunter2", "active": "on",
        "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0"})  # fmt: skip
    # then the server made a 256-bit secret and shows it on this page only
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert SECRET_SHOWN.findall(response.content.decode()) == [endpoint.secret]
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43,}", endpoint.secret)  # 32 bytes, base64url
    assert endpoint.secret not in _cookies_text(response)
    change_page = admin_client.get(f"/admin/assets/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in change_page and 'name="secret"' not in change_page


def test_webhook_secrets_are_unique() -> None:
    secrets = {WebhookEndpoint.objects.create(url=f"https://h{i}.example.com/").secret for i in range(20)}
    assert len(secrets) == 20


def test_rotating_a_webhook_secret_shows_the_new_one_once(admin_client) -> None:
    # given
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/dam")
    old = endpoint.secret
    # when
    response = admin_client.post("/admin/assets/webhookendpoint/", {
        "action": "rotate_secrets", "_selected_action": [endpoint.pk]})  # fmt: skip
    # then
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert SECRET_SHOWN.findall(response.content.decode()) == [endpoint.secret]
    # the old secret signs too for a day, and the page says so
    assert endpoint.previous_secret == old
    assert endpoint.signing_secrets(timezone.now()) == [endpoint.secret, old]
    assert endpoint.signing_secrets(timezone.now() + timedelta(hours=24, seconds=1)) == [endpoint.secret]
    assert "for 24 hours" in response.content.decode()


def test_a_leaked_webhook_secret_is_replaced_at_once_in_the_admin(admin_client) -> None:
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/dam")
    response = admin_client.post("/admin/assets/webhookendpoint/", {
        "action": "revoke_secrets", "_selected_action": [endpoint.pk]})  # fmt: skip
    endpoint.refresh_from_db()
    assert SECRET_SHOWN.findall(response.content.decode()) == [endpoint.secret]
    assert endpoint.signing_secrets(timezone.now()) == [endpoint.secret]
    assert endpoint.previous_secret == ""


def test_rotating_needs_the_change_permission(client, django_user_model) -> None:
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookendpoint"))
    client.force_login(viewer)
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/dam")
    old = endpoint.secret
    client.post(
        "/admin/assets/webhookendpoint/", {"action": "rotate_secrets", "_selected_action": [endpoint.pk]}
    )
    endpoint.refresh_from_db()
    assert endpoint.secret == old
