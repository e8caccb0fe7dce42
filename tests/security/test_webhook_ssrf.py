"""Webhooks cannot be pointed at the inside of the network (SSRF), nor used to read it."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time

import pytest
import urllib3.util.connection

from assets import egress, webhooks
from assets.models import WebhookDelivery, WebhookEndpoint
from tests.security.conftest import Reply, closed_port

pytestmark = pytest.mark.django_db
PUBLIC = "93.184.215.14"  # a global unicast address; tests never connect to it (see `no_egress`)

REFUSED_URLS = [
    "http://hooks.example.com/dam",  # plain http
    "ftp://hooks.example.com/dam",
    "https://127.0.0.1/dam",
    "https://127.1.2.3:8443/dam",
    "https://localhost/dam",
    "https://[::1]/dam",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[fe80::1]/dam",
    "https://10.0.0.1/dam",
    "https://172.16.5.4/dam",
    "https://192.168.1.1/dam",
    "https://100.64.0.1/dam",  # carrier-grade NAT
    "https://[fc00::1]/dam",  # unique local
    "https://[fec0::1]/dam",  # site local
    "https://0.0.0.0/dam",
    "https://[::]/dam",
    "https://224.0.0.1/dam",
    "https://[ff02::1]/dam",
    "https://240.0.0.1/dam",  # reserved
    "https://255.255.255.255/dam",
    "https://[::ffff:127.0.0.1]/dam",  # IPv4-mapped IPv6
    "https://[::ffff:169.254.169.254]/dam",
    "https://[::ffff:10.0.0.1]/dam",
    "https://[64:ff9b::a9fe:a9fe]/dam",  # NAT64 of 169.254.169.254
    "https://[2002:7f00:1::1]/dam",  # 6to4 of 127.0.0.1
    "https://2130706433/dam",  # 127.0.0.1 as one decimal number
    "https://0177.0.0.1/dam",  # octal
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_check_refuses_non_public_destinations(url) -> None:
    with pytest.raises(egress.EgressRefused) as refused:
        egress.check(url, allow_private=False)
    assert "127.0.0.1" not in str(refused.value) and "169.254" not in str(refused.value)


@pytest.mark.parametrize(
    "url", ["https://169.254.169.254/", "https://[::ffff:169.254.169.254]/", "https://0.0.0.0/",
            "https://224.0.0.1/", "https://[fe80::1]/", "ftp://127.0.0.1/"],
)  # fmt: skip
def test_allowing_private_addresses_never_allows_metadata_multicast_or_unspecified(url) -> None:
    with pytest.raises(egress.EgressRefused):
        egress.check(url, allow_private=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "https://10.1.2.3/hook", "http://[::1]/x"])
def test_allowing_private_addresses_allows_loopback_and_private_over_http(url) -> None:
    assert egress.check(url, allow_private=True).addresses


def test_a_public_name_is_accepted_and_keeps_its_path_and_query(dns) -> None:
    dns.add("hooks.example.com", [PUBLIC])
    target = egress.check("https://hooks.example.com/dam/hook?x=1", allow_private=False)
    assert (target.host, target.port, target.path, target.addresses) == (
        "hooks.example.com", 443, "/dam/hook?x=1", (PUBLIC,))  # fmt: skip


def test_a_name_with_one_private_address_among_public_ones_is_refused(dns) -> None:
    dns.add("mixed.example.com", [PUBLIC, "10.0.0.7"])
    with pytest.raises(egress.EgressRefused):
        egress.check("https://mixed.example.com/hook", allow_private=False)


def test_refusal_unwraps_every_ipv4_inside_ipv6() -> None:
    mapped = ipaddress.ip_address("::ffff:127.0.0.1")
    assert egress.refusal(mapped, allow_private=False)
    assert egress.refusal(ipaddress.ip_address("2606:4700:4700::1111"), allow_private=False) is None


# --- the admin, when an endpoint is saved ---------------------------------------------------------

ADD = "/admin/assets/webhookendpoint/add/"


def add_form(url: str) -> dict[str, str]:
    return {"url": url, "active": "on", "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0"}


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9999/", "http://[::1]:9999/", "http://localhost:9999/",
            "http://169.254.169.254/", "https://169.254.169.254/", "https://localhost/hook"],
)  # fmt: skip
def test_the_admin_refuses_to_save_an_internal_url(admin_client, url) -> None:
    response = admin_client.post(ADD, add_form(url))
    assert response.status_code == 200  # the form again, with its error
    assert "cannot receive webhooks" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_saves_a_public_https_url(admin_client, dns) -> None:
    dns.add("hooks.example.com", [PUBLIC])
    response = admin_client.post(ADD, add_form("https://hooks.example.com/dam"))
    assert response.status_code == 200 and WebhookEndpoint.objects.count() == 1


# --- at every send --------------------------------------------------------------------------------


@pytest.fixture
def no_egress(monkeypatch) -> list[tuple[str, int]]:
    """Records every connection attempt and lets only loopback ones through: no test ever
    sends a packet to a public address, yet we see where the code tried to connect."""
    attempts: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        attempts.append(address)
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise OSError("test: no connections leave this machine")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return attempts


def _delivery_to(url: str) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(url=url)
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event="asset.ready", payload={"event": "asset.ready"}
    )


def _deliver(delivery: WebhookDelivery) -> WebhookDelivery:
    with contextlib.suppress(webhooks.DeliveryFailed):
        webhooks.deliver(str(delivery.id))
    delivery.refresh_from_db()
    return delivery


def test_a_name_that_now_resolves_inside_is_refused_at_send(endpoint, settings, dns, no_egress) -> None:
    # given an endpoint saved while its name was public, whose DNS now answers loopback
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = False
    dns.add("hooks.example.com", ["127.0.0.1"])
    delivery = _delivery_to(f"https://hooks.example.com:{endpoint.port}/hooks/dam")
    # when
    delivery = _deliver(delivery)
    # then nothing was sent anywhere
    assert delivery.delivered_at is None and "loopback or private" in delivery.error
    assert no_egress == [] and endpoint.requests == []


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(endpoint, settings, dns,
                                                                         no_egress) -> None:  # fmt: skip
    # given a name that answers a public address first and loopback afterwards (DNS rebinding)
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = False
    dns.add("rebind.example.com", [PUBLIC], ["127.0.0.1"])
    delivery = _delivery_to(f"https://rebind.example.com:{endpoint.port}/hooks/dam")
    # when
    delivery = _deliver(delivery)
    # then the only connection attempt went to the public address that was checked
    assert no_egress == [(PUBLIC, endpoint.port)]
    assert endpoint.requests == [] and dns.lookups == ["rebind.example.com"]
    assert delivery.error == "could not connect"


def test_a_pinned_delivery_keeps_the_host_name_in_the_host_header(endpoint, dns, no_egress) -> None:
    dns.add("rebind.test", ["127.0.0.1"], ["127.0.0.2"])  # nothing listens on 127.0.0.2
    delivery = _deliver(_delivery_to(f"http://rebind.test:{endpoint.port}/hooks/dam"))
    assert delivery.delivered_at is not None
    assert endpoint.requests[0][0]["host"] == f"rebind.test:{endpoint.port}"
    assert dns.lookups == ["rebind.test"]


def test_tls_verifies_the_certificate_for_the_host_name_and_sends_it_as_sni(tls_endpoint, certificates,
                                                                            dns) -> None:  # fmt: skip
    dns.add(certificates.name, ["127.0.0.1"])
    delivery = _deliver(_delivery_to(f"https://{certificates.name}:{tls_endpoint.port}/hooks/dam"))
    assert delivery.delivered_at is not None, delivery.error
    assert tls_endpoint.sni == [certificates.name]
    assert tls_endpoint.requests[0][0]["host"] == f"{certificates.name}:{tls_endpoint.port}"


def test_tls_refuses_a_certificate_for_another_name(tls_endpoint, dns) -> None:
    dns.add("other.dam.test", ["127.0.0.1"])
    delivery = _deliver(_delivery_to(f"https://other.dam.test:{tls_endpoint.port}/hooks/dam"))
    assert delivery.delivered_at is None and delivery.error.startswith("TLS failed")
    assert tls_endpoint.requests == []
    assert str(tls_endpoint.port) not in delivery.error and "127.0.0.1" not in delivery.error


@pytest.mark.parametrize(
    ("status", "delivered"), [(200, True), (202, True), (204, True), (299, True), (301, False), (302, False),
                              (307, False), (400, False), (410, False), (500, False)],
)  # fmt: skip
def test_only_2xx_counts_as_delivered_and_redirects_are_not_followed(endpoint, status, delivered) -> None:
    endpoint.reply = Reply(status=status, headers={"Location": endpoint.url(path="/elsewhere")})
    delivery = _deliver(_delivery_to(endpoint.url()))
    assert (delivery.delivered_at is not None) is delivered
    assert delivery.response_status == status
    assert len(endpoint.requests) == 1  # a redirect is never followed
    if 300 <= status < 400:
        assert "redirects are not followed" in delivery.error


def test_a_huge_reply_is_not_read(endpoint) -> None:
    # given an endpoint that answers 300 MB
    endpoint.reply = Reply(stream_bytes=300 * 1024 * 1024)
    started = time.monotonic()
    # when
    delivery = _deliver(_delivery_to(endpoint.url()))
    # then a short excerpt is kept and the rest was never read
    assert delivery.delivered_at is not None
    assert len(delivery.response_body) <= egress.EXCERPT_CHARS
    time.sleep(0.2)  # let the server notice the hang-up
    assert endpoint.streamed < 32 * 1024 * 1024, endpoint.streamed  # socket buffers, not the reply
    assert time.monotonic() - started < 10


def test_the_recorded_excerpt_is_short_and_sanitised(endpoint) -> None:
    endpoint.reply = Reply(
        status=500, body=b"<h1>Oops</h1>\x00\x1b[31m\r\nTraceback:" + "é".encode() + b"x" * 5000
    )
    delivery = _deliver(_delivery_to(endpoint.url()))
    assert delivery.response_body.startswith("<h1>Oops</h1> [31m Traceback:é")
    assert len(delivery.response_body) == egress.EXCERPT_CHARS
    assert not any(ord(c) < 32 for c in delivery.response_body)


def test_a_refused_connection_names_no_address_or_port(settings) -> None:
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    port = closed_port()
    delivery = _deliver(_delivery_to(f"http://127.0.0.1:{port}/hook"))
    assert delivery.error == "could not connect"
    assert str(port) not in delivery.error and "127.0.0.1" not in delivery.error


def test_url_credentials_and_query_never_reach_the_logs(endpoint, caplog) -> None:
    # given an endpoint URL with credentials and a token in its query string
    url = f"http://hookuser:pa55word@127.0.0.1:{endpoint.port}/hooks/dam?token=qu3rysecret"
    # when a delivery succeeds, and another fails
    with caplog.at_level(logging.DEBUG):
        _deliver(_delivery_to(url))
        endpoint.reply = Reply(status=500)
        _deliver(_delivery_to(url))
    # then the endpoint got both, and the logs neither
    headers, _ = endpoint.requests[0]
    assert headers["authorization"] == "Basic aG9va3VzZXI6cGE1NXdvcmQ="  # hookuser:pa55word
    assert "delivered" in caplog.text and "failed" in caplog.text
    for secret in ("pa55word", "qu3rysecret", "hookuser"):
        assert secret not in caplog.text
    assert str(WebhookEndpoint.objects.first()) == f"http://127.0.0.1:{endpoint.port}/hooks/dam"


def test_a_reply_dribbled_byte_by_byte_ends_at_the_deadline(settings) -> None:
    # given an endpoint that sends its headers one byte at a time, each well within the timeout
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    settings.DAM_WEBHOOK_TIMEOUT = 0.5
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def dribble() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.1):  # for 10 s at most (a test must end)
                connection.sendall(b"X")
                if stop.wait(0.1) or time.monotonic() - started > 10:
                    return

    started = time.monotonic()
    threading.Thread(target=dribble, daemon=True).start()
    # when
    delivery = _deliver(_delivery_to(f"http://127.0.0.1:{server.getsockname()[1]}/hook"))
    elapsed = time.monotonic() - started
    stop.set()
    server.close()
    # then the attempt ended after its deadline (3 timeouts), not when the endpoint gave up
    assert delivery.delivered_at is None and delivery.error.startswith("no complete reply within")
    assert elapsed < settings.DAM_WEBHOOK_TIMEOUT * egress.ATTEMPT_TIMEOUTS + 2
