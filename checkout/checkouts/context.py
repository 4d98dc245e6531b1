"""What creating a checkout needs to know of a merchant: allowed return hosts and enabled
gateway accounts, in one mode. Loaded in one statement; the API keeps it for a few seconds
per process (checkout creation is the hot path).

A kept context can only be stale in the permissive direction for long: input refused
because of the merchant's settings (a return host, a method) is checked again against a
freshly loaded context before the refusal is final. Removing a return host or disabling an
account takes effect for API creation within ``TTL`` seconds in every process.
"""
import time
from dataclasses import dataclass

from checkout.extensions import db
from checkout.models import GatewayAccount, Merchant

from .params import CheckoutInputError, parse

TTL = 10.0
# Refusals that depend on the merchant's settings rather than on the request alone.
SETTINGS_CODES = frozenset({"return_url_not_allowed", "cancel_url_not_allowed",
                            "method_unavailable", "no_method_available",
                            "amount_below_minimum", "amount_above_maximum"})
_kept: dict = {}


@dataclass(frozen=True)
class MerchantContext:
    """A merchant's creation settings in one mode. ``accounts`` are rows with ``id``,
    ``gateway`` and ``methods`` (what ``methods.offers_for`` reads)."""

    merchant_id: int
    livemode: bool
    return_hosts: frozenset
    accounts: tuple


def merchant_context(merchant_id, livemode, cache_key=None):
    """The context, kept ``TTL`` seconds under ``cache_key`` (a value unique to the
    merchant, e.g. its public id) if one is given. Raises LookupError for no merchant."""
    if cache_key is not None:
        hit = _kept.get((cache_key, livemode))
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
    rows = db.session.execute(
        db.select(Merchant.return_hosts, GatewayAccount.id, GatewayAccount.gateway,
                  GatewayAccount.methods)
        .select_from(Merchant)
        .outerjoin(GatewayAccount, (GatewayAccount.merchant_id == Merchant.id)
                   & (GatewayAccount.livemode == livemode)
                   & GatewayAccount.enabled.is_(True))
        .where(Merchant.id == merchant_id)).all()
    if not rows:
        raise LookupError(merchant_id)
    ctx = MerchantContext(merchant_id, livemode,
                          frozenset(h.lower() for h in rows[0].return_hosts or ()),
                          tuple(r for r in rows if r.id is not None))
    if cache_key is not None:
        if len(_kept) > 10_000:
            _kept.clear()
        _kept[(cache_key, livemode)] = (ctx, time.monotonic() + TTL)
    return ctx


def prepare(data, merchant_id, livemode, cache_key=None):
    """Validate creation input for a merchant: ``(ctx, NewCheckout)``. Raises
    CheckoutInputError (after re-checking settings-dependent refusals on fresh settings)."""
    ctx = merchant_context(merchant_id, livemode, cache_key)
    try:
        return ctx, parse(data, ctx)
    except CheckoutInputError as exc:
        if cache_key is None or exc.code not in SETTINGS_CODES:
            raise
    forget(cache_key)
    ctx = merchant_context(merchant_id, livemode, cache_key)
    return ctx, parse(data, ctx)


def forget(cache_key=None):
    """Drop kept contexts (all, or one merchant's): after a settings change in this
    process, and in tests."""
    if cache_key is None:
        _kept.clear()
        return
    for key in [k for k in _kept if k[0] == cache_key]:
        _kept.pop(key, None)
