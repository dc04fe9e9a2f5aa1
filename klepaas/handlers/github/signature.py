"""`X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the webhook secret, compared in
constant time. Checked before the body is parsed at all."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith(PREFIX):
        return False
    expected = PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())
