"""Errors of the ingest path. Each carries a stable code (README: "What is accepted")."""

from __future__ import annotations

from dam.errors import DamError


class RejectedUpload(DamError):
    """The file is not acceptable as an original. Nothing was stored; nothing should remain."""

    status = 400


class AssetNotFound(DamError):
    code = "not_found"
    status = 404


class SourceMissing(DamError):
    """The database knows the original, but storage lost it."""

    code = "source_missing"
    status = 410
