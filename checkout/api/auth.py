"""API key authentication: ``Authorization: Bearer sk_test_...`` against the stored hash."""
import hmac
import time
from dataclasses import dataclass

from flask import current_app, g, request

from checkout.errors import ApiError
from checkout.extensions import db
from checkout.merchants.keys import generate_key, hash_key  # noqa: F401  (re-exported)
from checkout.models import ApiKey, Merchant

# Keys seen recently, by hash: saves a query per request. A revoked key keeps
# working in a process for at most this long (README "Security").
CACHE_SECONDS = 30
_cache: dict = {}


@dataclass(frozen=True)
class Caller:
    api_key_id: int
    merchant_id: int
    merchant_public_id: str
    livemode: bool


def _unauthorized(message):
    return ApiError(401, "authentication_error", "invalid_api_key", message,
                    headers={"WWW-Authenticate": 'Bearer realm="checkout"'})


def authenticate():
    """Resolve the caller of this request into ``g.caller``; raises ApiError 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        raise _unauthorized("Send your secret key as 'Authorization: Bearer sk_...'.")
    raw = raw.strip()
    if not (raw.startswith("sk_test_") or raw.startswith("sk_live_")) or len(raw) > 100:
        raise _unauthorized("That is not a secret API key.")
    digest = hash_key(raw)
    now = time.monotonic()
    hit = _cache.get(digest)
    if hit is None or hit[1] < now:
        row = db.session.execute(
            db.select(ApiKey.id, ApiKey.merchant_id, Merchant.public_id, ApiKey.livemode,
                      ApiKey.key_hash)
            .join(Merchant, Merchant.id == ApiKey.merchant_id)
            .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
        ).first()
        # The index found the row by hash; compare again in constant time anyway.
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            _cache.pop(digest, None)
            raise _unauthorized("Invalid API key.")
        hit = (Caller(row.id, row.merchant_id, row.public_id, row.livemode),
               now + CACHE_SECONDS)
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[digest] = hit
    if hit[0].livemode and not current_app.config["LIVE_MODE_ALLOWED"]:
        raise ApiError(403, "authentication_error", "live_mode_disabled",
                       "Live keys are refused on a development install (CHECKOUT_ENV="
                       "development runs on fixed, public development keys). Use your test "
                       "key here, and your live key only on a production install.")
    g.caller = hit[0]
    return hit[0]


def forget_cached_keys():
    """Drop the cache (tests, key revocation in this process)."""
    _cache.clear()
