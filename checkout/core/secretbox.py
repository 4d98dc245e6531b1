"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) keyed by CHECKOUT_ENCRYPTION_KEY.

Several keys may be given, comma separated: the first encrypts, all decrypt
(key rotation with MultiFernet).
"""
import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _fernet_key(raw):
    raw = raw.strip()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw.encode()
    except (ValueError, TypeError):
        pass
    # Any other string: derive a key from it (documented in the README).
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest())


_cache = {}


def _box():
    raw = current_app.config["CHECKOUT_ENCRYPTION_KEY"]
    box = _cache.get(raw)
    if box is None:
        box = MultiFernet([Fernet(_fernet_key(k)) for k in raw.split(",") if k.strip()])
        _cache[raw] = box
    return box


def encrypt(value):
    """Encrypt a JSON-serialisable value to a token string."""
    return _box().encrypt(json.dumps(value).encode()).decode()


def decrypt(token):
    """Decrypt a token made by :func:`encrypt`; raises ``InvalidToken`` if tampered."""
    return json.loads(_box().decrypt(token.encode()))


__all__ = ["encrypt", "decrypt", "InvalidToken"]
