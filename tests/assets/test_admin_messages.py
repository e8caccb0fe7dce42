"""What the admin tells editors, in proper English plurals (ngettext), never “image(s)”."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.models import ApiKey
from tests import images

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("files", "message"), [(1, "Uploaded 1 image."), (2, "Uploaded 2 images.")])
def test_upload_message(admin_client, files: int, message: str) -> None:
    # distinct pictures: identical bytes would add a "already in the library" warning per copy
    uploads = [
        SimpleUploadedFile(f"{i}.jpg", images.jpeg((120 + i, 80)), content_type="image/jpeg")
        for i in range(files)
    ]
    response = admin_client.post(reverse("admin:assets_asset_upload"), {"files": uploads})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [message]


@pytest.mark.parametrize(("keys", "message"), [(1, "Revoked 1 key."), (3, "Revoked 3 keys.")])
def test_revoke_message(admin_client, keys: int, message: str) -> None:
    issued = [ApiKey.issue(f"client-{i}")[0] for i in range(keys)]
    response = admin_client.post(
        reverse("admin:assets_apikey_changelist"),
        {"action": "revoke", "_selected_action": [str(k.pk) for k in issued]},
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [message]
