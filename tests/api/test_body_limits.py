"""Bodies are read last and never past the cap: credentials, permission and a direct upload's
policy are checked first, an impossible Content-Length is refused unread, and the multipart read
stops as soon as the file passes DAM_MAX_UPLOAD_BYTES (or a direct upload's declared size).

How much was read is measured, not assumed: a spy on Django's request stream counts the bytes the
application took from the body (the server's own discarding of an unread rest is not counted: it
never reaches the application, a temporary file or memory)."""

from __future__ import annotations

import secrets
import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import django.core.handlers.wsgi
import pytest
from django.contrib.auth.models import Permission, User
from django.core.handlers.wsgi import LimitedStream
from rest_framework.test import APIClient

from assets.models import ApiKey, Asset, Upload
from tests import images
from tests.api.conftest import assert_problem

MiB = 1024 * 1024
CHUNK = 64 * 1024


class BodyReads:
    """Bytes the application read from request bodies, over every request since the fixture."""

    def __init__(self) -> None:
        self.streams: list[LimitedStream] = []

    @property
    def total(self) -> int:
        return sum(stream._pos for stream in self.streams)

    def forget(self) -> None:
        """Count from here (after a test's set-up requests)."""
        self.streams.clear()


@pytest.fixture
def body_reads(monkeypatch) -> BodyReads:
    reads = BodyReads()

    class CountingStream(LimitedStream):
        def __init__(self, stream, limit) -> None:
            super().__init__(stream, limit)
            reads.streams.append(self)

    # WSGIRequest looks the class up when it is made: every request, in-process or live, counts.
    monkeypatch.setattr(django.core.handlers.wsgi, "LimitedStream", CountingStream)
    return reads


def key_client(*, read_only: bool = False) -> APIClient:
    _, raw = ApiKey.issue("k", read_only=read_only)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def multipart(file_bytes: int, *, fields: dict[str, str] | None = None) -> tuple[str, bytes]:
    boundary = secrets.token_hex(8)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in (fields or {}).items()]  # fmt: skip
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
    head += "Content-Type: image/jpeg\r\n\r\n"
    body = b"".join(parts) + head.encode() + b"\xff" * file_bytes + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


# --- in process ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_multipart_upload_is_cut_off_at_the_cap(settings, body_reads: BodyReads) -> None:
    # given a cap of 1 MiB and a 3 MiB file whose request length alone cannot tell (fields may be large)
    settings.DAM_MAX_UPLOAD_BYTES = MiB
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * MiB
    content_type, body = multipart(3 * MiB, fields={"title": "big"})
    # when
    response = key_client().generic("POST", "/api/v1/assets/", body, content_type=content_type)
    # then the read stopped just past the cap, not at the end of the body
    assert_problem(response, 400, "file_too_large")
    assert MiB < body_reads.total <= MiB + 2 * CHUNK, body_reads.total
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("nobody", 401, "not_authenticated"), ("a read-only key", 403, "permission_denied"),
     ("a revoked key", 401, "not_authenticated"), ("a staff user without add_asset", 403, "permission_denied")],
)  # fmt: skip
@pytest.mark.django_db
def test_credentials_and_permission_come_before_the_body(
    body_reads: BodyReads, who: str, status: int, code: str
) -> None:
    # given
    client = {"nobody": APIClient, "a read-only key": lambda: key_client(read_only=True),
              "a revoked key": revoked_key_client, "a staff user without add_asset": viewing_editor}[who]()  # fmt: skip
    content_type, body = multipart(2 * MiB)
    # when
    response = client.generic("POST", "/api/v1/assets/", body, content_type=content_type)
    # then not a byte of the body was read
    assert_problem(response, status, code)
    assert body_reads.total == 0


def revoked_key_client() -> APIClient:
    from django.utils import timezone

    key, raw = ApiKey.issue("old")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def viewing_editor(*, form_token: bool = False) -> APIClient:
    """A staff session with CSRF checks on; its token in the X-CSRFToken header."""
    user = User.objects.create_user(f"ed-{secrets.token_hex(3)}", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_asset"))
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    token = secrets.token_hex(16)
    client.cookies["csrftoken"] = token
    client.credentials(HTTP_X_CSRFTOKEN=token)
    return client


@pytest.mark.django_db
def test_a_session_posting_its_csrf_token_in_the_form_is_read_under_the_cap(
    settings, body_reads: BodyReads
) -> None:
    # given a staff session whose CSRF token travels inside the multipart form (the browsable
    # API's forms): the CSRF check must read the body, and does so under the cap
    settings.DAM_MAX_UPLOAD_BYTES = MiB
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * MiB
    user = User.objects.create_user("ed", is_staff=True)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    token = secrets.token_hex(16)
    client.cookies["csrftoken"] = token
    content_type, body = multipart(3 * MiB, fields={"csrfmiddlewaretoken": token})
    # when
    response = client.generic("POST", "/api/v1/assets/", body, content_type=content_type)
    # then
    assert_problem(response, 400, "file_too_large")
    assert body_reads.total <= MiB + 2 * CHUNK


@pytest.mark.django_db
def test_an_impossible_content_length_is_refused_unread(settings, body_reads: BodyReads) -> None:
    settings.DAM_MAX_UPLOAD_BYTES = MiB
    content_type, body = multipart(MiB + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 128 * 1024)
    response = key_client().generic("POST", "/api/v1/assets/", body, content_type=content_type)
    assert_problem(response, 400, "file_too_large")
    assert body_reads.total == 0


@pytest.mark.django_db
def test_a_json_body_over_the_form_limit_is_413_unread(settings, body_reads: BodyReads) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"filename": "' + b"a" * 2048 + b'"}'
    response = key_client().generic("POST", "/api/v1/uploads/", body, content_type="application/json")
    assert_problem(response, 413, "request_too_large")
    assert body_reads.total == 0 and not Upload.objects.exists()


@pytest.mark.django_db
def test_a_file_within_the_cap_still_goes_through(settings) -> None:
    data = images.jpeg((64, 64))
    settings.DAM_MAX_UPLOAD_BYTES = len(data)
    content_type, body = multipart(0)
    body = body.replace(b"\r\n\r\n\r\n--", b"\r\n\r\n" + data + b"\r\n--")
    response = key_client().generic("POST", "/api/v1/assets/", body, content_type=content_type)
    assert response.status_code == 201, response.content


# --- the local direct-upload endpoint ------------------------------------------------------------------


def started_upload(byte_size: int) -> dict:
    response = key_client().post("/api/v1/uploads/", {"filename": "a.jpg", "content_type": "image/jpeg",
                                                      "byte_size": byte_size}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_the_local_endpoint_checks_its_policy_before_the_body(body_reads: BodyReads) -> None:
    url = started_upload(1000)["instructions"]["url"].split("?")[0] + "?policy=forged"
    content_type, body = multipart(2 * MiB, fields={"key": "x"})
    body_reads.forget()
    assert_problem(APIClient().generic("POST", url, body, content_type=content_type), 403, "bad_signature")
    assert body_reads.total == 0


@pytest.mark.django_db
def test_the_local_endpoint_reads_no_more_than_the_declared_size(settings, body_reads: BodyReads) -> None:
    # given a declared size of 10 KiB, a 1 MiB file, and no help from the request's length
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    url = started_upload(10 * 1024)["instructions"]["url"]
    content_type, body = multipart(MiB)
    body_reads.forget()
    # when
    response = APIClient().generic("POST", url, body, content_type=content_type)
    # then
    assert_problem(response, 400, "file_too_large")
    assert body_reads.total <= 10 * 1024 + 2 * CHUNK
    assert Upload.objects.get().status == "pending"


# --- against a live server: a 200 MB body, streamed ------------------------------------------------------

STREAMED = 200 * 1000 * 1000
# What a client can push before the server answers without reading: the kernel's socket buffers
# on both ends (a few MiB on loopback), nowhere near the body.
BUFFERED = 16 * MiB


def stream_until_answered(
    url: str, headers: dict[str, str], head: bytes, tail: bytes
) -> tuple[int, bytes, int]:
    """POST a STREAMED-byte body (``head`` + filler + ``tail``) from a generator, as a slow or
    hostile client would, stopping as soon as the server answers. → (status, body, bytes sent)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    lines = [f"POST {parts.path}?{parts.query} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {STREAMED}",
             "Connection: close", *(f"{name}: {value}" for name, value in headers.items())]  # fmt: skip
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    size = STREAMED
    sent = 0
    sock.settimeout(2)
    try:
        for chunk in _body(head, size, tail):
            if select.select([sock], [], [], 0)[0]:
                break  # the answer is there: a real client stops sending too
            sock.sendall(chunk)
            sent += len(chunk)
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading (and answered, below)
    sock.settimeout(30)
    answer = b""
    while b"\r\n\r\n" not in answer or not _complete(answer):
        data = sock.recv(65536)
        if not data:
            break
        answer += data
    sock.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1], sent


def _body(head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
    yield head
    filler, chunk = size - len(head) - len(tail), b"\xff" * CHUNK
    for _ in range(filler // CHUNK):
        yield chunk
    yield b"\xff" * (filler % CHUNK) + tail


def _complete(answer: bytes) -> bool:
    headers, _, body = answer.partition(b"\r\n\r\n")
    for line in headers.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def multipart_frame(fields: dict[str, str]) -> tuple[str, bytes, bytes]:
    content_type, body = multipart(0, fields=fields)
    head, tail = body.split(b"\r\n\r\n\r\n--")[0] + b"\r\n\r\n", b"\r\n--" + body.split(b"\r\n\r\n\r\n--")[1]
    return content_type, head, tail


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_a_forged_policy_with_200_mb_is_refused_unread(
    live_server, settings, body_reads: BodyReads
) -> None:
    # given a cap so high that only the policy can stop this body
    settings.DAM_MAX_UPLOAD_BYTES = 256 * MiB
    upload_url = started_upload(1000)["instructions"]["url"].split("?")[0]
    content_type, head, tail = multipart_frame({"key": "x"})
    body_reads.forget()
    # when
    status, body, sent = stream_until_answered(
        f"{live_server.url}{urlsplit(upload_url).path}?policy=forged",
        {"Content-Type": content_type},
        head,
        tail,
    )
    # then
    assert status == 403 and b'"bad_signature"' in body
    assert body_reads.total == 0
    assert sent < BUFFERED, f"the client sent {sent} bytes before the answer"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_a_valid_policy_with_200_mb_is_refused_at_the_declared_size(
    live_server, settings, body_reads: BodyReads
) -> None:
    # given a valid policy for 1000 bytes and a request whose length is not checked up front
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    url = started_upload(1000)["instructions"]["url"]
    content_type, head, tail = multipart_frame({"key": "x"})
    body_reads.forget()
    # when
    status, body, sent = stream_until_answered(
        live_server.url + url.split("testserver", 1)[1], {"Content-Type": content_type}, head, tail
    )
    # then
    assert status == 400 and b'"file_too_large"' in body
    assert body_reads.total <= 1000 + 2 * CHUNK
    assert sent < BUFFERED, f"the client sent {sent} bytes before the answer"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_an_api_upload_of_200_mb_stops_at_the_cap(live_server, settings, body_reads: BodyReads) -> None:
    # given a 1 MiB cap, and a request whose length is not checked up front: the read must stop it
    settings.DAM_MAX_UPLOAD_BYTES = MiB
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    _, raw = ApiKey.issue("rails")
    content_type, head, tail = multipart_frame({"title": "big"})
    # when
    status, body, sent = stream_until_answered(
        f"{live_server.url}/api/v1/assets/",
        {"Content-Type": content_type, "Authorization": f"Api-Key {raw}"},
        head,
        tail,
    )
    # then
    assert status == 400 and b'"file_too_large"' in body
    assert MiB < body_reads.total <= MiB + 2 * CHUNK
    assert sent < BUFFERED + MiB, f"the client sent {sent} bytes before the answer"
    assert not Asset.objects.exists()
