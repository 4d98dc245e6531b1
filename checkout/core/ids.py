"""Public identifiers: a type prefix and 24 random base62 characters (~143 bits)."""
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix, length=24):
    """Return a new random id such as ``cs_4f9...`` for the given prefix."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
