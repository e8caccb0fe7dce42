"""Fixtures for the security tests: a scriptable webhook receiver (http or https) on loopback,
a resolver that maps test host names to loopback, and settings read in a fresh process."""

from __future__ import annotations

import datetime
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    # Announced, then streamed in chunks until the client hangs up (a huge reply).
    stream_bytes: int = 0


class Endpoint:
    """A real HTTP(S) server on 127.0.0.1 that records requests and answers as scripted."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.reply = Reply()
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.sni: list[str | None] = []
        self.streamed = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endpoint.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                reply = endpoint.reply
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(reply.stream_bytes or len(reply.body)))
                self.end_headers()
                if not reply.stream_bytes:
                    self.wfile.write(reply.body)
                    return
                chunk = b"A" * 65536
                try:
                    while endpoint.streamed < reply.stream_bytes:
                        self.wfile.write(chunk)
                        endpoint.streamed += len(chunk)
                except OSError:
                    pass  # the client hung up: what we want it to do

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)  # type: ignore[assignment]
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1", scheme: str = "http", path: str = "/hooks/dam") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(settings) -> Iterator[Endpoint]:
    """Plain http on loopback: only reachable with private addresses allowed (as on-premises)."""
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    server = Endpoint()
    yield server
    server.close()


@dataclass
class Certificates:
    ca_file: Path
    context: ssl.SSLContext  # the server's, with a certificate for `name`
    name: str


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA and a server certificate it signed for hooks.dam.test."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dam test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    name = "hooks.dam.test"
    server = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name).public_key(server_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "server.pem").write_bytes(server.public_bytes(pem))
    (directory / "server.key").write_bytes(server_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.pem", directory / "server.key")
    return Certificates(ca_file=directory / "ca.pem", context=context, name=name)


@pytest.fixture
def tls_endpoint(settings, certificates: Certificates) -> Iterator[Endpoint]:
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    settings.DAM_WEBHOOK_CA_BUNDLE = str(certificates.ca_file)
    server = Endpoint(tls=certificates.context)
    yield server
    server.close()


class FakeDns:
    """Answers chosen names with chosen addresses, one answer per lookup, at the socket level:
    whatever looks a name up (our check, a library's connect) gets the next answer."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def add(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self.real(host, port, *args, **kwargs)
        self.lookups.append(name)
        queue = self.answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [info for address in addresses for info in self.real(address, port, *args, **kwargs)]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Every variable that moves settings away from the embedded default (CI sets some of them).
_SHAPING = ("DATABASE_URL", "DAM_", "AWS_")


def settings_in_subprocess(env: dict[str, str], *names: str) -> dict[str, Any]:
    """Settings as a fresh process loads them from exactly ``env`` (plus PATH and HOME)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_SHAPING)}
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "dam.settings", **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))
