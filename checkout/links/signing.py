"""HMAC signatures of checkout links and return redirects (api.md, "Signed checkout links").

``sig`` = hex HMAC-SHA256 keyed by the merchant's link secret over the parameters other
than ``sig``, sorted by name, joined as ``k=v`` with ``&``, each value percent-encoded with
nothing left safe (``quote(value, safe="")``).
"""
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit


class SignatureError(ValueError):
    """A missing, malformed or wrong signature."""


def canonical(params):
    """The signed string for a mapping of parameters (``sig`` left out)."""
    items = sorted((k, "" if v is None else str(v)) for k, v in params.items() if k != "sig")
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in items)


def sign(params, secret):
    """Hex HMAC-SHA256 of ``canonical(params)`` under ``secret``."""
    return hmac.new(secret.encode(), canonical(params).encode(), hashlib.sha256).hexdigest()


def verify(params, secret):
    """Raise SignatureError unless ``params['sig']`` signs the other parameters.
    Constant-time comparison."""
    given = params.get("sig")
    if not given or not isinstance(given, str):
        raise SignatureError("missing signature")
    if not hmac.compare_digest(given.lower().encode(), sign(params, secret).encode()):
        raise SignatureError("bad signature")


def signed_return_url(return_url, params, secret):
    """``return_url`` with ``params`` and their ``sig`` added to its query string (the
    merchant's own query parameters are kept, and are not part of the signature)."""
    signed = dict(params)
    signed["sig"] = sign(params, secret)
    parts = urlsplit(return_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k not in signed] + list(signed.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
