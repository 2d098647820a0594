"""Presigned document URLs: what one URL grants, signed with HMAC-SHA256 and checked on use.

A presigned URL lets a client that holds no API key upload or download one document, for a short
while. The URL carries the grant's parts (the document id in its path; the nonce and expiry in its
query) and a signature over every part; the server recomputes the signature with its secret key,
so changing any part (another document, another nonce, a later expiry, another content type)
breaks it. The content type is not in the URL: the server takes it from the document it names.

This module is pure (no clock, no storage, no web framework): callers pass the key and the time.
The key lives in :mod:`core.secrets`; single use is the database's business (the nonce is consumed
by the upload that completes, see :mod:`core.services.documents`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

UPLOAD = "upload"
DOWNLOAD = "download"
_PURPOSES = frozenset({UPLOAD, DOWNLOAD})
_VERSION = "hearth-document-url-v1"
KEY_BYTES = 32


class InvalidGrant(Exception):
    """A presigned URL that grants nothing. ``reason`` is ``signature`` (missing, malformed or not
    ours: tampered) or ``expired``; ``str()`` is a message safe to show the client."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Grant:
    """What a presigned URL allows: ``purpose`` (upload or download) of one document, with its
    ``content_type``, until ``expires_at`` (epoch seconds). ``nonce`` makes an upload URL one of
    a kind (the database consumes it); download URLs have none (``""``)."""

    purpose: str
    document_id: int
    nonce: str
    content_type: str
    expires_at: int

    def __post_init__(self) -> None:
        if self.purpose not in _PURPOSES:
            raise ValueError(f"unknown purpose {self.purpose!r}")

    def message(self) -> bytes:
        """The signed bytes: every part length-prefixed, so no two grants share a message."""
        parts = (
            _VERSION,
            self.purpose,
            str(self.document_id),
            self.nonce,
            self.content_type,
            str(self.expires_at),
        )
        return "".join(f"{len(part)}:{part};" for part in parts).encode("utf-8")


def new_key() -> bytes:
    """A fresh random signing key."""
    return secrets.token_bytes(KEY_BYTES)


def new_nonce() -> str:
    """A fresh random upload nonce (URL-safe, 32 characters)."""
    return secrets.token_urlsafe(24)


def sign(key: bytes, grant: Grant) -> str:
    """The grant's signature: HMAC-SHA256 with ``key``, base64url without padding (43 chars)."""
    if len(key) < 16:
        raise ValueError("a signing key needs at least 16 bytes")
    digest = hmac.new(key, grant.message(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(key: bytes, grant: Grant, signature: str | None, now: float) -> None:
    """Check that ``signature`` is ``key``'s for ``grant`` and that the grant has not expired at
    ``now`` (epoch seconds). Raises :class:`InvalidGrant`; returns nothing when all is well.

    The signature is compared in constant time; the expiry is checked only once the signature
    holds, so a forged expiry is reported as tampering, not as expiry.
    """
    expected = sign(key, grant)
    presented = signature if isinstance(signature, str) else ""
    if not presented or not _is_base64url(presented):
        raise InvalidGrant("signature", "the URL's signature is missing or malformed")
    if not hmac.compare_digest(expected.encode("ascii"), presented.encode("ascii")):
        raise InvalidGrant("signature", "the URL's signature does not match it")
    if now >= grant.expires_at:
        raise InvalidGrant("expired", "the URL has expired; ask for a new one")


def _is_base64url(text: str) -> bool:
    if not text.isascii() or len(text) > 128:
        return False
    try:
        base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return False
    return True
