"""Standard Webhooks signatures (https://www.standardwebhooks.com).

``webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>``, keyed by the
base64-decoded part of a ``whsec_...`` secret. During a rotation the header carries one
signature per valid secret, space separated; receivers accept any one that matches.
The body is serialised once, and those exact bytes are both signed and sent.
"""
import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def generate_secret() -> str:
    """A new endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (its base64-decoded part)."""
    raw = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw)


def sign(msg_id: str, timestamp: float, body: bytes, secret: str) -> str:
    """One ``v1,<base64>`` signature of ``body`` (bytes) for this id and timestamp."""
    signed = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(msg_id: str, timestamp: float, body: bytes, secrets_: Iterable[str]) -> str:
    """The ``webhook-signature`` value: one signature per secret, space separated."""
    return " ".join(sign(msg_id, timestamp, body, s) for s in secrets_)


def encode_body(event_type: str, created_at_iso: str | None, data: Any) -> bytes:
    """The payload bytes: ``{"type", "timestamp", "data"}`` as compact UTF-8 JSON.
    Deterministic for an event, so every retry sends the same bytes."""
    return json.dumps({"type": event_type, "timestamp": created_at_iso, "data": data},
                      separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode()
