"""Who may do what: every endpoint × every kind of caller.

Staff sessions need the Django model permission of the action (as in the admin); API keys keep
their rule (any key reads, only a read-write key writes). Signing URLs and uploads are writes.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from assets.ingest import ingest
from assets.models import ApiKey, Asset, Upload, WebhookDelivery, WebhookEndpoint
from dam.storage import uploads_storage
from tests import images
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db

CALLERS = ["no-perm staff", "view-only staff", "full staff", "read-only key", "read-write key"]
VIEW_ONLY = ["view_asset", "view_renditionspec", "view_webhookendpoint", "view_collection"]
FULL = [*VIEW_ONLY, "add_asset", "change_asset", "delete_asset",
        "add_webhookendpoint", "change_webhookendpoint", "delete_webhookendpoint"]  # fmt: skip
HOOKS = "/api/v1/webhook-endpoints/"

# endpoint: (method, path, body) and the status each caller gets, in CALLERS order.
ENDPOINTS: dict[str, tuple[str, str, Any]] = {
    "list assets": ("get", "/api/v1/assets/", None),
    "read an asset": ("get", "/api/v1/assets/{asset}/", None),
    "find similar assets": ("get", "/api/v1/assets/{asset}/similar/", None),
    "list rendition specs": ("get", "/api/v1/rendition-specs/", None),
    "list collections": ("get", "/api/v1/collections/", None),
    "upload (multipart)": ("post", "/api/v1/assets/", "multipart"),
    "edit an asset": ("patch", "/api/v1/assets/{asset}/", {"title": "New"}),
    "delete an asset": ("delete", "/api/v1/assets/{asset}/", None),
    "replace its file (multipart)": ("put", "/api/v1/assets/{asset}/file/", "multipart"),
    "replace its file from a direct upload": ("put", "/api/v1/assets/{asset}/file/", "own upload"),
    "sign URLs": ("post", "/api/v1/assets/{asset}/urls/", {"specs": ["width-10"]}),
    "list usages": ("get", "/api/v1/assets/{asset}/usages/", None),
    "read a usage": ("get", "/api/v1/assets/{asset}/usages/article:1", None),
    "add a usage": ("put", "/api/v1/assets/{asset}/usages/article:2", {"url": "https://app.example/a/2"}),
    "replace a usage": ("put", "/api/v1/assets/{asset}/usages/article:1", {"url": "https://app.example/a/1b"}),
    "remove a usage": ("delete", "/api/v1/assets/{asset}/usages/article:1", None),
    "start a direct upload": ("post", "/api/v1/uploads/", {"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": 10}),
    "read a direct upload": ("get", "/api/v1/uploads/{upload}/", None),
    "complete a direct upload": ("post", "/api/v1/uploads/{upload}/complete/", {}),
    "list webhook endpoints": ("get", HOOKS, None),
    "read a webhook endpoint": ("get", HOOKS + "{endpoint}/", None),
    "list its deliveries": ("get", HOOKS + "{endpoint}/deliveries/", None),
    "register a webhook endpoint": ("post", HOOKS, {"url": "http://127.0.0.1:9/hooks"}),
    "edit a webhook endpoint": ("patch", HOOKS + "{endpoint}/", {"active": False}),
    "rotate its secret": ("post", HOOKS + "{endpoint}/rotate-secret/", None),
    "send a test event": ("post", HOOKS + "{endpoint}/test/", None),
    "redeliver": ("post", HOOKS + "{endpoint}/deliveries/{delivery}/redeliver/", None),
    "delete a webhook endpoint": ("delete", HOOKS + "{endpoint}/", None),
}  # fmt: skip
EXPECTED: dict[str, tuple[int, int, int, int, int]] = {
    #                            no-perm  view-only  full  read-only key  read-write key
    "list assets":               (403,    200,       200,  200,           200),
    "read an asset":             (403,    200,       200,  200,           200),
    "find similar assets":       (403,    200,       200,  200,           200),
    "list rendition specs":      (403,    200,       200,  200,           200),
    "list collections":          (403,    200,       200,  200,           200),
    "upload (multipart)":        (403,    403,       201,  403,           201),
    "edit an asset":             (403,    403,       200,  403,           200),
    "delete an asset":           (403,    403,       204,  403,           204),
    # a new original is a change to the asset (change_asset), whichever way its bytes arrive
    "replace its file (multipart)": (403, 403,       200,  403,           200),
    "replace its file from a direct upload": (403, 403, 200, 403,         200),
    "sign URLs":                 (403,    403,       200,  403,           200),
    # usages: reading needs view_asset; writing them is changing the asset (change_asset)
    "list usages":               (403,    200,       200,  200,           200),
    "read a usage":              (403,    200,       200,  200,           200),
    "add a usage":               (403,    403,       201,  403,           201),
    "replace a usage":           (403,    403,       200,  403,           200),
    "remove a usage":            (403,    403,       204,  403,           204),
    "start a direct upload":     (403,    403,       201,  403,           201),
    # part of adding an asset: a session needs add_asset; a key may read its own upload
    "read a direct upload":      (403,    403,       200,  200,           200),
    "complete a direct upload":  (403,    403,       201,  403,           201),
    "list webhook endpoints":    (403,    200,       200,  200,           200),
    "read a webhook endpoint":   (403,    200,       200,  200,           200),
    "list its deliveries":       (403,    200,       200,  200,           200),
    "register a webhook endpoint": (403,  403,       201,  403,           201),
    "edit a webhook endpoint":   (403,    403,       200,  403,           200),
    "rotate its secret":         (403,    403,       200,  403,           200),
    "send a test event":         (403,    403,       202,  403,           202),
    "redeliver":                 (403,    403,       202,  403,           202),
    "delete a webhook endpoint": (403,    403,       204,  403,           204),
}  # fmt: skip
CASES = [
    (endpoint, caller, statuses[i])
    for endpoint, statuses in EXPECTED.items()
    for i, caller in enumerate(CALLERS)
]


@dataclass
class Caller:
    client: APIClient
    owner: dict[str, Any]  # the Upload fields that make an upload this caller's


def staff_session(codenames: list[str]) -> Caller:
    """An editor logged in to the admin, calling the API as a browser would: session cookie,
    CSRF cookie and the X-CSRFToken header (CSRF checks on, unlike Django's test default)."""
    user = User.objects.create_user(f"editor-{secrets.token_hex(4)}", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    token = secrets.token_hex(16)  # a CSRF secret: 32 alphanumerics, accepted in header and cookie
    client.cookies["csrftoken"] = token
    client.credentials(HTTP_X_CSRFTOKEN=token)
    return Caller(client, {"created_by": user})


def api_key(*, read_only: bool) -> Caller:
    key, raw = ApiKey.issue("rails", read_only=read_only)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return Caller(client, {"api_key": key})


def make_caller(kind: str) -> Caller:
    return {
        "no-perm staff": lambda: staff_session([]),
        "view-only staff": lambda: staff_session(VIEW_ONLY),
        "full staff": lambda: staff_session(FULL),
        "read-only key": lambda: api_key(read_only=True),
        "read-write key": lambda: api_key(read_only=False),
    }[kind]()


def own_upload(caller: Caller) -> Upload:
    """An upload this caller started, its file already in quarantine."""
    from datetime import timedelta

    from django.utils import timezone

    data = images.jpeg((64, 48))
    upload = Upload.objects.create(filename="d.jpg", content_type="image/jpeg", byte_size=len(data),
                                   expires_at=timezone.now() + timedelta(minutes=5), **caller.owner)  # fmt: skip
    uploads_storage().save(upload.storage_name, ContentFile(data))
    return upload


@pytest.mark.parametrize(
    ("endpoint", "caller_kind", "expected"), CASES, ids=[f"{e} by {c}" for e, c, _ in CASES]
)
def test_every_endpoint_for_every_caller(endpoint: str, caller_kind: str, expected: int, settings) -> None:
    # given (webhook endpoints on loopback: allowed as in every test)
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True
    caller = make_caller(caller_kind)
    asset = ingest(io.BytesIO(images.jpeg((120, 80))), filename="a.jpg")
    method, path, body = ENDPOINTS[endpoint]
    hook = WebhookEndpoint.objects.create(
        url="http://127.0.0.1:9/hooks", secret="whsec_x", events=["asset.ready"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=hook, event="asset.ready", payload={"data": {}})
    asset.usages.create(external_id="article:1", url="https://app.example/a/1", label="Article 1")
    path = path.format(asset=asset.id, upload=own_upload(caller).id if "{upload}" in path else "",
                       endpoint=hook.pk, delivery=delivery.pk)  # fmt: skip
    if body == "multipart":
        body = {"file": SimpleUploadedFile("b.jpg", images.jpeg())}
    elif body == "own upload":
        body = {"upload": str(own_upload(caller).id)}
    # when
    response = getattr(caller.client, method)(
        path, body, format="multipart" if "file" in (body or {}) else "json"
    )
    # then
    if expected == 403:
        assert_problem(response, 403, "permission_denied")
    else:
        assert response.status_code == expected, response.content
    refused_write = expected == 403 and method != "get"
    if refused_write and endpoint in ("edit an asset", "delete an asset"):
        assert Asset.objects.get(pk=asset.pk).title == asset.title  # nothing changed
    if refused_write and "replace its file" in endpoint:
        assert Asset.objects.get(pk=asset.pk).sha256 == asset.sha256 and not asset.versions.exists()
    if refused_write and "usage" in endpoint:
        assert list(asset.usages.values_list("external_id", "url")) == [
            ("article:1", "https://app.example/a/1")
        ]


def test_a_superuser_needs_no_explicit_permission() -> None:
    user = User.objects.create_superuser("root", "root@example.com", "x")
    client = APIClient()
    client.force_login(user)
    response = client.post("/api/v1/uploads/", {"filename": "a.jpg", "content_type": "image/jpeg",
                                                "byte_size": 10}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content


def test_a_session_write_without_the_csrf_token_is_refused() -> None:
    caller = staff_session(FULL)
    caller.client.credentials()  # the cookie alone, as a cross-site form would send it
    response = caller.client.post("/api/v1/uploads/", {"filename": "a.jpg", "content_type": "image/jpeg",
                                                       "byte_size": 10}, format="json")  # fmt: skip
    body = assert_problem(response, 403, "permission_denied")
    assert "CSRF" in body["detail"]
    assert not Upload.objects.exists()


def test_a_refused_session_names_the_missing_permission() -> None:
    response = staff_session(VIEW_ONLY).client.delete(
        f"/api/v1/assets/{ingest(io.BytesIO(images.jpeg()), filename='a.jpg').id}/"
    )
    assert "assets.delete_asset" in assert_problem(response, 403, "permission_denied")["detail"]


def test_a_logged_in_user_who_is_not_staff_is_not_authenticated() -> None:
    client = APIClient()
    client.force_login(User.objects.create_user("visitor"))
    assert_problem(client.get("/api/v1/assets/"), 401, "not_authenticated")
