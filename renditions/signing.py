"""PURE: sign and verify ad-hoc rendition URLs (HMAC-SHA256), with key rotation and expiry.

The scheme, written down so another language can sign (docs/renditions.md has Ruby):

    message   = "<asset id>/<canonical spec>/<expires>"   (expires: unix seconds, or "" for never)
    signature = hex(HMAC-SHA256(key, message))[:32]
    token     = signature            when the URL never expires
              = signature + "-" + expires   otherwise

The first configured key signs; every configured key verifies, so keys rotate without breaking
URLs already handed out: add the new key first, remove the old one once its URLs are gone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from renditions.exceptions import BadSignature

SIGNATURE_LENGTH = 32  # hex digits: 128 bits, beyond forging
_TOKEN = re.compile(rf"([0-9a-f]{{{SIGNATURE_LENGTH}}})(?:-([1-9]\d{{0,11}}))?")


def _signature(key: str, asset_id: str, spec: str, expires: int | None) -> str:
    message = f"{asset_id}/{spec}/{expires or ''}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def sign(keys: Sequence[str], asset_id: str, spec: str, expires: int | None = None) -> str:
    assert keys, "DAM_URL_SIGNING_KEYS must hold at least one key."
    signature = _signature(keys[0], asset_id, spec, expires)
    return f"{signature}-{expires}" if expires else signature


def verify(keys: Sequence[str], token: str, asset_id: str, spec: str, *, now: float) -> int | None:
    """Raise ``BadSignature`` unless ``token`` signs exactly this asset and spec, unexpired; its
    expiry (unix seconds) when it has one."""
    match = _TOKEN.fullmatch(token)
    if not match:
        raise BadSignature("The URL signature is missing or malformed.")
    signature, expires_text = match.groups()
    expires = int(expires_text) if expires_text else None
    if not any(hmac.compare_digest(signature, _signature(k, asset_id, spec, expires)) for k in keys):
        raise BadSignature("The URL signature does not match this asset and spec.")
    if expires is not None and expires < now:
        raise BadSignature("The URL has expired.")
    return expires
