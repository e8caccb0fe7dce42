"""The embedded default has no broker: background work runs in-process and nothing about a
broker is touched or logged (a kombu warning on every upload read as a misconfiguration)."""

from __future__ import annotations

import io
import logging

import kombu
import pytest

from assets.ingest import ingest
from assets.models import Asset
from tests import images
from tests.ops.conftest import _forget_connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kombu_connections(monkeypatch) -> list[object]:
    """Records every kombu connection made, wrapping (not replacing) the real constructor."""
    made: list[object] = []
    real_init = kombu.Connection.__init__

    def recording_init(self, *args, **kwargs) -> None:
        made.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(kombu.Connection, "__init__", recording_init)
    return made


def test_an_upload_without_a_broker_runs_its_tasks_and_never_touches_one(
    settings, caplog, kombu_connections
) -> None:
    # given the embedded default, and no broker connection pooled by an earlier test
    from dam.celery import app

    assert not settings.DAM_BROKER_URL and app.conf.task_always_eager
    _forget_connections(app)
    # when an upload queues its eager renditions
    with caplog.at_level(logging.DEBUG):
        asset = ingest(io.BytesIO(images.jpeg((300, 200))), filename="quiet.jpg")
    # then they ran in-process, without a broker connection or a word about one
    assert Asset.objects.get(pk=asset.pk).status == Asset.Status.READY
    assert kombu_connections == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith(("kombu", "amqp"))] == []
