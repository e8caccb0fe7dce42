"""Ad-hoc URL signatures: the scheme other languages implement (docs/renditions.md)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from renditions.exceptions import BadSignature
from renditions.signing import sign, verify

ASSET = "0b7e8f0e-3a52-4a0e-9d0c-5b7a3c1e2f10"


def test_the_documented_scheme() -> None:
    expected = hmac.new(b"k1", f"{ASSET}/fit-10x10/".encode(), hashlib.sha256).hexdigest()[:32]
    assert sign(["k1"], ASSET, "fit-10x10") == expected
    expiring = hmac.new(b"k1", f"{ASSET}/fit-10x10/2000000000".encode(), hashlib.sha256).hexdigest()[:32]
    assert sign(["k1"], ASSET, "fit-10x10", 2_000_000_000) == f"{expiring}-2000000000"


def test_verifies_with_any_key_for_rotation() -> None:
    token = sign(["old"], ASSET, "fit-10x10")
    verify(["new", "old"], token, ASSET, "fit-10x10", now=0)


@pytest.mark.parametrize(("token_of", "asset", "spec", "now"), [
    (lambda: sign(["other-key"], ASSET, "fit-10x10"), ASSET, "fit-10x10", 0),  # forged
    (lambda: "", ASSET, "fit-10x10", 0),  # missing
    (lambda: "zz" * 16, ASSET, "fit-10x10", 0),  # malformed
    (lambda: sign(["k"], ASSET, "fit-10x10"), "another-asset", "fit-10x10", 0),  # other asset
    (lambda: sign(["k"], ASSET, "fit-10x10"), ASSET, "fit-10x11", 0),  # other spec
    (lambda: sign(["k"], ASSET, "fit-10x10", 100), ASSET, "fit-10x10", 101),  # expired
    (lambda: sign(["k"], ASSET, "fit-10x10", 100).replace("-100", "-999"), ASSET, "fit-10x10", 0),  # extended
])  # fmt: skip
def test_bad_signatures(token_of, asset: str, spec: str, now: float) -> None:
    with pytest.raises(BadSignature) as caught:
        verify(["k"], token_of(), asset, spec, now=now)
    assert (caught.value.code, caught.value.status) == ("bad_signature", 403)
