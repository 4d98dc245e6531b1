"""Secret API keys: generation and the hash we store (keys are never stored in clear)."""
import hashlib
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def generate_key(livemode):
    """A new secret key string (190 random bits); only its hash is stored."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(32))
    return f"sk_{'live' if livemode else 'test'}_{body}"


def hash_key(raw):
    """SHA-256 hex of a key: enough for 190-bit random secrets (no salt needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()
