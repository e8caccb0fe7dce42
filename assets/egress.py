"""Outbound HTTP to URLs that staff type in (webhook endpoints), safe against SSRF.

A URL is checked, then sent to, in one motion:

1. ``https`` only (``http`` too when private addresses are allowed, for tests and on-premises).
2. The host is resolved once, and *every* address it resolves to must be public: loopback,
   private, shared (CGNAT), link-local (the cloud metadata service at 169.254.169.254),
   multicast, reserved and unspecified addresses are refused, also when an IPv6 address carries
   one of them inside (IPv4-mapped ``::ffff:127.0.0.1``, 6to4, Teredo, NAT64).
3. The connection goes to the address that was checked, not to the name: TLS SNI, certificate
   verification and the ``Host`` header still use the name. A DNS answer that changes between
   the check and the connection (DNS rebinding) therefore changes nothing.
4. No redirect is followed, no proxy from the environment is used, the reply is never
   decompressed, at most ``EXCERPT_BYTES`` of it are read, whatever it announces, and the
   whole attempt ends after ``ATTEMPT_TIMEOUTS`` timeouts, however slowly the reply dribbles.

Error messages name what went wrong, never an address or a port (they are shown in the admin
and would otherwise map the internal network for whoever can edit an endpoint).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import socket
import ssl
import threading
import unicodedata
from dataclasses import dataclass
from http.client import HTTPException
from urllib.parse import SplitResult, unquote, urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.ssl_match_hostname import CertificateError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# What of a reply is kept: enough to see "ok" or an error title in the admin, never a page.
EXCERPT_BYTES = 1024  # read from the socket at most; a 300 MB reply costs 1 KiB
EXCERPT_CHARS = 200  # kept after sanitising
# A whole attempt (connect, request, reply headers, excerpt) may take this many timeouts at most:
# one each for connecting, for the reply's headers and for its excerpt.
ATTEMPT_TIMEOUTS = 3
# NAT64 (RFC 6052): the last 32 bits are an IPv4 address the gateway will reach for us.
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


class EgressRefused(Exception):
    """The URL may not be sent to. ``str(exc)`` is safe to show: it names no address or port."""


@dataclass(frozen=True)
class Reply:
    status: int
    excerpt: str


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the addresses) and what to say (host, path, auth)."""

    scheme: str
    host: str
    port: int
    path: str  # with the query string
    addresses: tuple[str, ...]
    authorization: str | None  # from credentials in the URL, sent as HTTP Basic

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def redact(url: str) -> str:
    """The URL without credentials or query string: what logs and lists may show."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid URL)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path}"


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a seam for tests that need a name to point somewhere)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check(url: str, *, allow_private: bool) -> Target:
    """Parse, resolve and check ``url``; raise :class:`EgressRefused` with a showable reason."""
    parts = _split(url, allow_private=allow_private)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise EgressRefused("the host name does not resolve") from exc
    if not addresses:
        raise EgressRefused("the host name does not resolve")
    for address in addresses:
        if reason := refusal(ipaddress.ip_address(address.split("%", 1)[0]), allow_private=allow_private):
            raise EgressRefused(f"the host resolves to {reason}")
    path = parts.path or "/"
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port,
        path=f"{path}?{parts.query}" if parts.query else path,
        addresses=tuple(addresses),
        authorization=_basic_auth(parts),
    )


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``address`` may not be connected to, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:a.b.c.d *is* a.b.c.d
    for candidate in (address, *_tunnelled_ipv4(address)):
        if candidate.is_unspecified or candidate.is_multicast or candidate.is_link_local:
            return "a link-local, multicast or unspecified address"
        if candidate.is_loopback or candidate.is_private or _site_local(candidate):
            if not allow_private:
                return "a loopback or private address (not on the public internet)"
        elif candidate.is_reserved:
            return "a reserved address"
        elif not allow_private and not candidate.is_global:
            return "an address that is not on the public internet"
    return None


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float, ca_certs: str) -> Reply:
    """POST ``body`` to the checked addresses of ``target``, in order, until one connects.

    ``timeout`` bounds the connect and each read; the whole attempt ends after
    ``ATTEMPT_TIMEOUTS`` of them, however slowly the endpoint dribbles its reply.
    """
    headers = {**headers, "Host": target.host_header, "Accept-Encoding": "identity"}
    if target.authorization:
        headers["Authorization"] = target.authorization
    failure = "could not connect"
    for address in target.addresses:
        connection = _connection(address, target, timeout=timeout, ca_certs=ca_certs)
        try:
            connection.connect()
        except ConnectTimeoutError as exc:  # incl. NewConnectionError: nothing was sent yet,
            failure = _describe(exc)  # so the next address of the same name may answer
            continue
        except (HTTPError, OSError, CertificateError) as exc:
            connection.close()
            raise EgressRefused(_describe(exc)) from exc
        return _exchange(connection, target, body, headers, deadline=timeout * ATTEMPT_TIMEOUTS)
    raise EgressRefused(failure)


def _connection(address: str, target: Target, *, timeout: float, ca_certs: str) -> HTTPConnection:
    if target.scheme == "https":
        # Connect to the address; SNI and the certificate check use the name.
        return HTTPSConnection(
            address, target.port, timeout=timeout, server_hostname=target.host, assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED", ca_certs=ca_certs,
        )  # fmt: skip
    return HTTPConnection(address, target.port, timeout=timeout)


def _exchange(connection: HTTPConnection, target: Target, body: bytes, headers: dict[str, str], *,
              deadline: float) -> Reply:  # fmt: skip
    """Send, read the status and at most EXCERPT_BYTES of the body, hang up (never drain)."""
    with _Deadline(deadline, connection) as watchdog:
        try:
            connection.request("POST", target.path, body=body, headers=headers,
                               preload_content=False, decode_content=False)  # fmt: skip
            response = connection.getresponse()
            reply = Reply(response.status, sanitise(response.read(EXCERPT_BYTES, decode_content=False)))
        except (HTTPError, HTTPException, OSError, CertificateError) as exc:
            raise EgressRefused(watchdog.failure or _describe(exc)) from exc
        finally:
            connection.close()
        if watchdog.failure:  # cut short mid-reply: what was read is not a reply
            raise EgressRefused(watchdog.failure)
        return reply


class _Deadline:
    """Ends a whole attempt after ``seconds``: shutting the socket down from a timer thread makes
    a read blocked in this thread return at once (timeouts only bound each read)."""

    def __init__(self, seconds: float, connection: HTTPConnection) -> None:
        self.failure = ""
        self._message = f"no complete reply within {seconds:g} s"
        self._connection = connection
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.failure = self._message
        if self._connection.sock is not None:
            with contextlib.suppress(OSError):
                self._connection.sock.shutdown(socket.SHUT_RDWR)


def sanitise(raw: bytes) -> str:
    """A short, printable, single-line excerpt: no control characters, no markup surprises."""
    text = raw.decode("utf-8", errors="replace")
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(text.split())[:EXCERPT_CHARS]


def _split(url: str, *, allow_private: bool) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as exc:
        raise EgressRefused("not a valid URL") from exc
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise EgressRefused("the URL must start with https://")
    if not parts.hostname:
        raise EgressRefused("the URL has no host name")
    return parts


def _basic_auth(parts: SplitResult) -> str | None:
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def _tunnelled_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address is a tunnel to (6to4, Teredo, NAT64)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.sixtofour, *(address.teredo or ())]
    if address in NAT64_PREFIX:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def _site_local(address: IPAddress) -> bool:
    return isinstance(address, ipaddress.IPv6Address) and address.is_site_local


def _describe(exc: BaseException) -> str:
    """A fixed phrase per failure: exception texts name the address and port, these never do."""
    if isinstance(exc, NewConnectionError):  # a subclass of ConnectTimeoutError: test it first
        return "could not connect"
    if isinstance(exc, ConnectTimeoutError):
        return "timed out connecting"
    if isinstance(exc, SSLError | ssl.SSLError | CertificateError):
        return "TLS failed (certificate not valid for the host name, or handshake refused)"
    if isinstance(exc, ReadTimeoutError | TimeoutError):
        return "timed out waiting for the reply"
    if isinstance(exc, ProtocolError | HTTPException | ConnectionError):
        return "the connection broke off or the reply was not HTTP"
    return "the request failed"
