"""Shared fixtures: isolated storage per test, a real S3 protocol endpoint (moto over HTTP)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.conf import LazySettings

from dam.storage_config import filesystem_storages, s3_storages

S3_REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server in a thread, reached over real HTTP by boto3 (and browsers, and subprocesses)."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(moto_endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name=S3_REGION)


@pytest.fixture
def s3_bucket(s3_client: Any) -> str:
    name = f"dam-test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    # As the README tells operators: renditions are public (or behind a CDN), originals are not.
    public_renditions = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{name}/renditions/*"}],
    }  # fmt: skip
    s3_client.put_bucket_policy(Bucket=name, Policy=json.dumps(public_renditions))
    return name


class StorageProbe:
    """Lists what a storage backend really holds, bypassing Django (the test's own eyes)."""

    def __init__(self, kind: str, root: Path | None = None, client: Any = None, bucket: str = ""):
        self.kind, self.root, self.client, self.bucket = kind, root, client, bucket

    def names(self) -> set[str]:
        if self.kind == "s3":
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            return {obj["Key"] for page in pages for obj in page.get("Contents", [])}
        assert self.root is not None
        return {str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file()}

    def read(self, key: str) -> bytes:
        if self.kind == "s3":
            return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        assert self.root is not None
        return (self.root / key).read_bytes()


@pytest.fixture(autouse=True)
def filesystem_storage(settings: LazySettings, tmp_path: Path) -> StorageProbe:
    """Every test starts on its own empty local storage."""
    root = tmp_path / "var"
    # The manifest storage needs `collectstatic` first; a fresh clone's tests must not.
    static = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.STORAGES = {**settings.STORAGES, **filesystem_storages(root), **static}
    return StorageProbe("filesystem", root=root)


@pytest.fixture
def s3_storage(settings: LazySettings, moto_endpoint: str, s3_client: Any, s3_bucket: str) -> StorageProbe:
    settings.STORAGES = {
        **settings.STORAGES,
        **s3_storages(bucket=s3_bucket, endpoint_url=moto_endpoint, region=S3_REGION),
    }
    return StorageProbe("s3", client=s3_client, bucket=s3_bucket)


@pytest.fixture(params=["filesystem", "s3"])
def storage(request: pytest.FixtureRequest) -> StorageProbe:
    """Runs the test once on the local filesystem and once on S3 through moto."""
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    return request.getfixturevalue("filesystem_storage")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: LazySettings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_hit_cache(settings: LazySettings) -> None:
    """Tests see the database's truth at once; test_delivery exercises the cache on purpose."""
    from renditions.services import HitCache

    settings.DAM_HIT_CACHE_SECONDS = 0
    HitCache.clear()


@pytest.fixture(autouse=True)
def default_specs(request: pytest.FixtureRequest) -> None:
    """The seeded named specs, for every database test: a transactional test's flush removes what
    the data migration added, and later tests must not depend on the order they run in."""
    if request.node.get_closest_marker("django_db") is None:
        return
    import importlib

    from renditions.models import RenditionSpec

    request.getfixturevalue("db") if "transactional_db" not in request.fixturenames else None
    seeded = importlib.import_module("renditions.migrations.0002_default_specs")
    for name, spec, description in seeded.DEFAULTS:
        RenditionSpec.objects.get_or_create(name=name, defaults={"spec": spec, "description": description})


@pytest.fixture(autouse=True)
def webhook_sender() -> Iterator[None]:
    """The embedded default's webhook sender thread starts with the first request a test makes;
    each test ends with it stopped (none left holding a database connection at teardown)."""
    yield
    from assets.outbox import InProcessSender

    InProcessSender.stop()


def _api_client(*, read_only: bool) -> Any:
    from rest_framework.test import APIClient

    from assets.models import ApiKey

    _, raw = ApiKey.issue("reader" if read_only else "rails", read_only=read_only)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def api(db: None) -> Any:
    """The Rails app: an API client with a read-write key."""
    return _api_client(read_only=False)


@pytest.fixture
def read_only_api(db: None) -> Any:
    return _api_client(read_only=True)
