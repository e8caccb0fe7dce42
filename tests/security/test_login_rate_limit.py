"""Admin login is rate-limited per account and per client address (django-axes)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from dam.login_limits import client_address

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)


def attempt(client, username: str, password: str, address: str) -> int:
    response = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)
    return response.status_code


def test_an_account_is_locked_after_the_limit_whatever_the_address(client, settings, editor) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    # when wrong passwords for one account come, each from another address
    statuses = [attempt(client, "editor", "wrong", f"198.51.100.{i}") for i in range(limit)]
    # then the failure that reaches the limit locks the account, even for the right password
    assert statuses == [200] * (limit - 1) + [429]  # the form again, then locked out
    assert attempt(client, "editor", PASSWORD, "203.0.113.50") == 429


def test_an_address_is_locked_after_the_limit_whatever_the_account(client, settings, editor) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    # when failures come from one address, each for another account
    statuses = [attempt(client, f"guess{i}", "wrong", "198.51.100.7") for i in range(limit)]
    # then that address is locked out even with the right credentials; another address is not
    assert statuses == [200] * (limit - 1) + [429]
    assert attempt(client, "editor", PASSWORD, "198.51.100.7") == 429
    assert attempt(client, "editor", PASSWORD, "203.0.113.8") == 302


def test_fewer_failures_than_the_limit_do_not_lock_and_success_resets(client, settings, editor) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "editor", "wrong", "198.51.100.9")
    assert attempt(client, "editor", PASSWORD, "198.51.100.9") == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "editor", "wrong", "198.51.100.9")
    assert attempt(client, "editor", PASSWORD, "198.51.100.9") == 302


def test_the_test_clients_login_still_works(client, editor) -> None:
    # authenticate() without a request: nobody remote to lock out (django-axes alone would raise)
    assert client.login(username="editor", password=PASSWORD)


@pytest.mark.parametrize(
    ("trusted", "forwarded_for", "expected"),
    [(0, "203.0.113.9", "10.0.0.2"),  # no proxy trusted: the header is the client's word
     (1, "203.0.113.9", "203.0.113.9"),
     (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # a spoofed left entry is skipped
     (2, "1.2.3.4, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
     (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: fall back to the peer
     (1, "", "10.0.0.2")],
)  # fmt: skip
def test_the_client_address_counts_trusted_proxies_from_the_right(settings, trusted, forwarded_for,
                                                                  expected) -> None:  # fmt: skip
    settings.DAM_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_address(request) == expected
