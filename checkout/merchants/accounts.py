"""Merchant accounts: creation with keys, link secret and test-mode gateway accounts."""
import logging
import re
import secrets
import time

import redis
from flask import current_app
from werkzeug.security import generate_password_hash

from checkout.core import secretbox
from checkout.core.ids import new_id
from checkout.extensions import db
from checkout.gateways import all_gateways, get_gateway
from checkout.gateways.base import Account
from checkout.gateways.errors import GatewayAuthError
from checkout.models import ApiKey, GatewayAccount, Merchant, MerchantUser
from checkout.redis_store import redis_connection

from .keys import generate_key, hash_key

log = logging.getLogger(__name__)

# Words some providers refuse anywhere in a callback URL (Safaricom's C2B rule, applied
# defensively by integrators to every callback): a notification token never contains one.
_URL_BLOCKLIST = re.compile(r"m-?pesa|safaricom|exe|cmd|sql|query", re.IGNORECASE)


def new_webhook_token():
    """The unguessable part of a gateway account's notification URL."""
    while True:
        token = secrets.token_urlsafe(24)
        if not _URL_BLOCKLIST.search(token):
            return token


class RedisTokenCache:
    """``gateways.base.TokenCache`` on the install's Redis, best effort: an unreachable
    Redis reads as a miss and drops writes (the adapter then asks for a new token)."""

    PREFIX = "checkout:gateway-cache:"

    def get(self, key):
        try:
            value = redis_connection().get(self.PREFIX + key)
        except redis.RedisError as exc:
            log.warning("token cache unreachable", extra={"error": str(exc)})
            return None
        return value.decode() if value is not None else None

    def set(self, key, value, ttl_seconds):
        try:
            redis_connection().set(self.PREFIX + key, value, ex=max(1, int(ttl_seconds)))
        except redis.RedisError as exc:
            log.warning("token cache unreachable", extra={"error": str(exc)})

    def delete(self, key):
        try:
            redis_connection().delete(self.PREFIX + key)
        except redis.RedisError as exc:
            log.warning("token cache unreachable", extra={"error": str(exc)})


_CACHE = RedisTokenCache()


def create_merchant(name, email, password, return_hosts=(), country=None):
    """Create a merchant with one user, a test secret key, a link secret and test-mode
    accounts at every gateway (their simulators). Flushes; returns
    ``(merchant, test_secret_key, link_secret)`` — the only time the key is seen."""
    link_secret = "lsec_" + secrets.token_urlsafe(32)
    merchant = Merchant(public_id=new_id("mer", 16), name=name,
                        link_secret_encrypted=secretbox.encrypt(link_secret),
                        return_hosts=sorted({h.lower() for h in return_hosts}), country=country)
    db.session.add(merchant)
    db.session.flush()
    db.session.add(MerchantUser(merchant_id=merchant.id, email=email.lower(),
                                password_hash=generate_password_hash(password)))
    key = generate_key(livemode=False)
    db.session.add(ApiKey(merchant_id=merchant.id, livemode=False, key_hash=hash_key(key),
                          prefix=key[:12]))
    for gw in all_gateways().values():
        db.session.add(GatewayAccount(
            merchant_id=merchant.id, gateway=gw.name, livemode=False,
            webhook_token=new_webhook_token(),
            credentials_encrypted=secretbox.encrypt(gw.test_credentials()),
            methods=sorted(gw.methods), enabled=True))
    db.session.flush()
    return merchant, key, link_secret


def link_secret(merchant):
    return secretbox.decrypt(merchant.link_secret_encrypted)


CONTEXT_CACHE_SECONDS = 10


def cached_account_context(account_id):
    """``account_context`` of the account ``account_id``, kept up to
    ``CONTEXT_CACHE_SECONDS`` per app and process: a poll then reads no account row and
    decrypts nothing (credentials changed in the dashboard reach polls within seconds).
    Raises LookupError for an unknown account."""
    cache = current_app.extensions.setdefault("checkout.account_contexts", {})
    now = time.monotonic()
    hit = cache.get(account_id)
    if hit is not None and now - hit[0] < CONTEXT_CACHE_SECONDS:
        return hit[1]
    account = db.session.get(GatewayAccount, account_id)
    if account is None:
        raise LookupError(account_id)
    context = account_context(account)
    if len(cache) > 10_000:
        cache.clear()
    cache[account_id] = (now, context)
    return context


def account_context(account):
    """The adapter's view of a gateway account: credentials, mode, base and notify URLs.
    Raises GatewayAuthError for a live account on a development install (it runs on
    fixed, public keys: never with real money or real credentials)."""
    gw = get_gateway(account.gateway)
    cfg = current_app.config
    if account.livemode and not cfg["LIVE_MODE_ALLOWED"]:
        raise GatewayAuthError("Live gateway accounts are refused on a development install "
                               "(CHECKOUT_ENV=development).", code="live_mode_disabled")
    base = gw.live_base_url if account.livemode else cfg["SIMULATOR_URL"] + gw.test_base_path
    return Account(credentials=secretbox.decrypt(account.credentials_encrypted),
                   livemode=account.livemode, base_url=base,
                   notify_url=f"{cfg['CHECKOUT_PUBLIC_URL']}/webhooks/{account.gateway}/"
                              f"{account.webhook_token}",
                   cache=_CACHE)
