"""Builds the ``STORAGES`` entries for both shapes. Used by settings, and by tests that switch
between the local filesystem and S3 (a moto server) without copying the configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.config import Config

IMMUTABLE = "public, max-age=31536000, immutable"


def s3_client_config(
    *, connect_timeout: float = 3.0, read_timeout: float = 20.0, addressing_style: str = "auto"
) -> Config:
    # botocore's defaults (60 s timeouts, legacy retries) would hold a web worker for minutes.
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": 3},
        signature_version="s3v4",
        s3={"addressing_style": addressing_style},  # type: ignore[arg-type]
    )


S3_MEMORY_BYTES = 1024 * 1024


def s3_storages(
    *,
    bucket: str,
    renditions_bucket: str | None = None,
    originals_prefix: str = "originals",
    renditions_prefix: str = "renditions",
    uploads_prefix: str = "uploads",
    region: str | None = None,
    endpoint_url: str | None = None,
    cdn_domain: str | None = None,
    renditions_public: bool = True,
    originals_storage_class: str = "STANDARD",
    client_config: Config | None = None,
) -> dict[str, dict[str, Any]]:
    common: dict[str, Any] = {
        "region_name": region or None,
        "endpoint_url": endpoint_url or None,
        "client_config": client_config or s3_client_config(),
        "default_acl": None,
        # django-storages reads an object into a SpooledTemporaryFile of this size, then disk; its
        # default, 0, keeps the whole object in memory (a 50 MB original, per render and upload).
        "max_memory_size": S3_MEMORY_BYTES,
    }
    originals: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **common,
            "bucket_name": bucket,
            "location": originals_prefix,
            "querystring_auth": True,  # originals are private: only ever linked presigned
            "file_overwrite": False,  # an original is never overwritten (keys are UUIDs anyway)
            "object_parameters": {"StorageClass": originals_storage_class},
        },
    }
    renditions = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **common,
            "bucket_name": renditions_bucket or bucket,
            "location": renditions_prefix,
            "custom_domain": cdn_domain or None,
            "querystring_auth": not renditions_public,
            # A rendition's name is its content key: the same name always holds the same bytes,
            # so overwriting is safe, and it saves the HEAD that file_overwrite=False costs.
            "file_overwrite": True,
            "object_parameters": {"CacheControl": IMMUTABLE},
        },
    }
    uploads = {  # direct uploads land here, quarantined, until `complete` validates them
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**originals["OPTIONS"], "location": uploads_prefix, "object_parameters": {}},
    }
    return {"default": originals, "originals": originals, "renditions": renditions, "uploads": uploads}


def filesystem_storages(
    var_dir: Path,
    *,
    originals_prefix: str = "originals",
    renditions_prefix: str = "renditions",
    uploads_prefix: str = "uploads",
    media_url: str = "/media/",
) -> dict[str, dict[str, Any]]:
    originals = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(var_dir / originals_prefix)},
    }
    renditions = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(var_dir / renditions_prefix),
            "base_url": f"{media_url}{renditions_prefix}/",
            "allow_overwrite": True,
        },
    }
    uploads = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(var_dir / uploads_prefix)},
    }
    return {"default": originals, "originals": originals, "renditions": renditions, "uploads": uploads}
