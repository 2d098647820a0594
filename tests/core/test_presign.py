"""Presigned URL grants: signing, verification, tampering and expiry (pure, no server)."""

from __future__ import annotations

import dataclasses

import pytest

from core import presign
from core.presign import DOWNLOAD, UPLOAD, Grant, InvalidGrant

KEY = b"k" * 32
NOW = 1_782_914_400.0
GRANT = Grant(UPLOAD, 41, "nonce-3q2-7wE", "application/pdf", int(NOW) + 900)


def test_a_signature_verifies_until_its_expiry():
    signature = presign.sign(KEY, GRANT)
    assert len(signature) == 43
    assert "=" not in signature
    presign.verify(KEY, GRANT, signature, NOW)
    presign.verify(KEY, GRANT, signature, GRANT.expires_at - 0.001)
    with pytest.raises(InvalidGrant) as expired:
        presign.verify(KEY, GRANT, signature, GRANT.expires_at)
    assert expired.value.reason == "expired"


@pytest.mark.parametrize(
    "change",
    [
        {"purpose": DOWNLOAD},
        {"document_id": 42},
        {"nonce": "nonce-3q2-7wF"},
        {"content_type": "text/html"},
        {"expires_at": GRANT.expires_at + 3600},
    ],
    ids=lambda change: next(iter(change)),
)
def test_changing_any_signed_part_breaks_the_signature(change):
    signature = presign.sign(KEY, GRANT)
    tampered = dataclasses.replace(GRANT, **change)
    with pytest.raises(InvalidGrant) as refused:
        presign.verify(KEY, tampered, signature, NOW)
    assert refused.value.reason == "signature"


def test_a_forged_later_expiry_is_tampering_even_once_the_real_one_passed():
    signature = presign.sign(KEY, GRANT)
    later = dataclasses.replace(GRANT, expires_at=GRANT.expires_at + 3600)
    with pytest.raises(InvalidGrant) as refused:
        presign.verify(KEY, later, signature, GRANT.expires_at + 10)
    assert refused.value.reason == "signature"


@pytest.mark.parametrize(
    "signature",
    [None, "", "not base64!", "A" * 43, "é" * 43, "A" * 500],
    ids=["missing", "empty", "malformed", "wrong", "non-ascii", "huge"],
)
def test_missing_malformed_or_wrong_signatures_are_refused(signature):
    with pytest.raises(InvalidGrant) as refused:
        presign.verify(KEY, GRANT, signature, NOW)
    assert refused.value.reason == "signature"


def test_another_key_signs_differently():
    assert presign.sign(KEY, GRANT) != presign.sign(b"x" * 32, GRANT)
    with pytest.raises(InvalidGrant):
        presign.verify(b"x" * 32, GRANT, presign.sign(KEY, GRANT), NOW)


def test_parts_cannot_be_shifted_from_one_field_to_the_next():
    # Without length prefixes, "a" + "bc" and "ab" + "c" would sign the same bytes.
    one = Grant(UPLOAD, 1, "ab", "c/d", 100)
    two = Grant(UPLOAD, 1, "a", "bc/d", 100)
    assert one.message() != two.message()
    assert presign.sign(KEY, one) != presign.sign(KEY, two)


def test_keys_and_nonces_are_fresh_and_keys_must_be_long_enough():
    assert len(presign.new_key()) == presign.KEY_BYTES
    assert presign.new_key() != presign.new_key()
    nonce = presign.new_nonce()
    assert len(nonce) == 32
    assert nonce != presign.new_nonce()
    assert nonce.replace("-", "").replace("_", "").isalnum()
    with pytest.raises(ValueError, match="at least 16 bytes"):
        presign.sign(b"short", GRANT)
    with pytest.raises(ValueError, match="unknown purpose"):
        Grant("delete", 1, "", "a/b", 1)
