"""Webhook signatures (pure, standard library only): HMAC-SHA256 over the timestamp and
the body, so a receiver can refuse a replayed body with an old timestamp.

The sender puts two headers on every signed request:

    X-Tessera-Timestamp: 1767225600            (Unix seconds)
    X-Tessera-Signature: sha256=<hex HMAC-SHA256 of b"1767225600." + body>

A receiver checks both with `verify_signature` (docs/configuration.md shows it in a web
handler).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Tessera-Signature"
TIMESTAMP_HEADER = "X-Tessera-Timestamp"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The X-Tessera-Signature value of `body` sent at `timestamp`.

    >>> sign("s3cret", 1767225600, b"{}")[:7]
    'sha256='
    """
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, timestamp: str | None, signature: str | None,
                     tolerance: float = TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """True when `signature` signs `timestamp` + `body` with `secret` and the timestamp is
    within `tolerance` seconds of `now` (default: the clock), so a body replayed later, or
    re-signed with another timestamp, fails.

    Args:
        secret: the webhook's shared secret.
        body: the raw request body, as bytes (not re-serialised JSON).
        timestamp: the X-Tessera-Timestamp header.
        signature: the X-Tessera-Signature header.
        tolerance: the largest accepted age (and clock skew), in seconds.
        now: Unix seconds to compare with (tests); default `time.time()`.

    >>> verify_signature("k", b"{}", "100", sign("k", 100, b"{}"), now=150)
    True
    >>> verify_signature("k", b"{}", "100", sign("k", 100, b"{}"), now=100 + 3600)
    False
    """
    if not timestamp or not signature:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
