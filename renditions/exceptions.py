"""Errors of the rendition engine, each with its stable code."""

from __future__ import annotations

from dam.errors import DamError, Overloaded

__all__ = ["BadSignature", "InvalidSpec", "Overloaded", "RenderFailed", "UnknownSpec"]


class InvalidSpec(DamError):
    """A spec that does not parse, is not canonical, or exceeds an output cap."""

    code = "invalid_spec"
    status = 400


class UnknownSpec(DamError):
    code = "unknown_spec"
    status = 404


class BadSignature(DamError):
    code = "bad_signature"
    status = 403


class RenderFailed(DamError):
    """The original could not be turned into this rendition (e.g. a crop outside the image)."""

    code = "invalid_spec"
    status = 400
