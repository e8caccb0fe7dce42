"""Dependency outages found by the cluster suite, pinned in process: each used to answer 500,
fail a task for good, or block a direct upload forever.

Outages are simulated by making the one call raise what psycopg / botocore raise when the
server is gone (a real outage of the test database would take every other test down with it);
tests/cluster does the real thing.
"""

from __future__ import annotations

import io
from datetime import timedelta
from unittest import mock

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from assets.ingest import ingest
from assets.models import ApiKey, Asset, Upload
from renditions import services
from renditions.exceptions import Overloaded
from renditions.models import RenditionSpec
from renditions.tasks import generate_eager
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):  # type: ignore[no-untyped-def]
    _, raw = ApiKey.issue("outage")
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {raw}"
    return client


def test_database_gone_under_an_api_call_answers_503_with_retry_after(api) -> None:  # type: ignore[no-untyped-def]
    # given the database connection fails under the view
    with mock.patch("api.views.AssetViewSet.get_queryset", side_effect=OperationalError("gone")):
        # when
        response = api.get("/api/v1/assets/")
    # then
    assert response.status_code == 503
    assert response["Retry-After"] and response["Cache-Control"] == "no-store"
    assert response.json()["code"] == "overloaded"


def test_the_drivers_own_error_unwrapped_by_django_answers_503(api) -> None:  # type: ignore[no-untyped-def]
    # given psycopg's error escaping Django's wrapper (seen in the cluster suite: closing a
    # server-side cursor after PostgreSQL stopped raised psycopg.OperationalError itself)
    import psycopg

    gone = psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")
    with mock.patch("renditions.services.named_renditions", side_effect=gone):
        # when
        response = api.get("/api/v1/assets/")
    # then
    assert response.status_code == 503
    assert response.json()["code"] == "overloaded"


def test_database_gone_under_delivery_answers_plain_503(client) -> None:  # type: ignore[no-untyped-def]
    with mock.patch("renditions.services.lookup", side_effect=OperationalError("gone")):
        response = client.get("/r/7b8745c0-6af8-44bb-b7aa-57e647881854/thumb/a828d0b060282a8b320b.webp")
    assert response.status_code == 503 and response["Retry-After"]
    assert response["Content-Type"].startswith("text/plain")


def test_a_bug_still_answers_500(api) -> None:  # type: ignore[no-untyped-def]
    api.raise_request_exception = False
    with mock.patch("api.views.AssetViewSet.get_queryset", side_effect=KeyError("bug")):
        assert api.get("/api/v1/assets/").status_code == 500


def test_storage_failing_to_store_a_rendition_is_overloaded_and_leaves_no_row(settings) -> None:  # type: ignore[no-untyped-def]
    # given storage that refuses writes
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    target = services.Target.build(asset, "width-50|format-png")
    failing = mock.Mock(save=mock.Mock(side_effect=EndpointConnectionError(endpoint_url="http://s3")))
    # when / then
    with (
        mock.patch("renditions.services.renditions_storage", return_value=failing),
        pytest.raises(Overloaded),
    ):
        services.generate(target)
    assert not services.find(asset.id, target.key)


def test_the_eager_task_retries_when_the_database_goes_away(settings) -> None:  # type: ignore[no-untyped-def]
    # given an eager spec and a database that fails under the task
    RenditionSpec.objects.filter(name="thumb").update(eager=True)
    asset = ingest(io.BytesIO(images.jpeg()), filename="x.jpg")

    class Retry(Exception):
        pass

    task = mock.Mock(request=mock.Mock(is_eager=False, retries=0))
    task.retry.side_effect = lambda **kwargs: Retry()
    # when / then the task asks to run again instead of failing the asset
    with (
        mock.patch("renditions.services.get_or_generate", side_effect=OperationalError("gone")),
        pytest.raises(Retry),
    ):
        generate_eager.run.__func__(task, str(asset.id))  # type: ignore[attr-defined]
    assert Asset.objects.get(pk=asset.pk).status != Asset.Status.FAILED


def test_complete_answers_503_when_storage_is_unreachable(api) -> None:  # type: ignore[no-untyped-def]
    upload = Upload.objects.create(filename="x.jpg", content_type="image/jpeg", byte_size=10,
                                   api_key=ApiKey.objects.get(name="outage"),
                                   expires_at=timezone.now() + timedelta(minutes=10))  # fmt: skip
    failing = mock.Mock(size=mock.Mock(side_effect=EndpointConnectionError(endpoint_url="http://s3")))
    with mock.patch("assets.uploads.uploads_storage", return_value=failing):
        response = api.post(f"/api/v1/uploads/{upload.id}/complete/")
    assert response.status_code == 503 and response["Retry-After"]


def test_verify_storage_orphans_lists_objects_no_row_refers_to(filesystem_storage) -> None:  # type: ignore[no-untyped-def]
    # given an asset, and a stray object in the originals
    from django.core.files.base import ContentFile

    from dam.storage import originals_storage

    ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    originals_storage().save("zz/stray.jpg", ContentFile(b"x"))
    out = io.StringIO()
    # when / then
    with pytest.raises(Exception, match="no row refers to"):
        call_command("verify_storage", "--orphans", "--grace", "0", stdout=out)
    assert "orphan object: zz/stray.jpg" in out.getvalue()
    call_command("verify_storage", stdout=io.StringIO())  # without --orphans: as before
