"""Test mode plumbing: telling the provider simulators about our test-mode accounts.

The simulators keep their state in memory, so this runs when the simulators start
(``flask simulators``), after a merchant is created, and from the test fixtures.
"""
import logging

from flask import current_app

from .extensions import db
from .gateways import http
from .gateways.errors import GatewayError
from .models import GatewayAccount

log = logging.getLogger(__name__)

TIMEOUT = (2, 3)  # connect, read: best effort, never blocks a command for long


def register_simulator_shops(merchant_id=None, timeout=TIMEOUT):
    """PUT every test-mode FeexPay account (of ``merchant_id``, or all) to the FeexPay
    simulator as a shop whose webhook URL is our notification URL for that account.
    Best effort: returns the shop ids registered; failures are logged, never raised."""
    stmt = db.select(GatewayAccount).where(GatewayAccount.gateway == "feexpay",
                                           GatewayAccount.livemode.is_(False))
    if merchant_id is not None:
        stmt = stmt.where(GatewayAccount.merchant_id == merchant_id)
    accounts = db.session.execute(stmt).scalars().all()
    shops = [shop for shop in map(shop_registration, accounts) if shop]
    db.session.commit()  # no transaction held across the HTTP calls
    return put_shops(shops, timeout)


def shop_registration(account):
    """``(shop_id, body)`` of the simulator's shop for a test-mode FeexPay account row,
    or None for any other account."""
    from .merchants import account_context  # (import cycle via checkout.api)
    if account.gateway != "feexpay" or account.livemode:
        return None
    ctx = account_context(account)
    shop, api_key = ctx.credentials.get("shop"), ctx.credentials.get("api_key")
    if not (shop and api_key):
        return None
    return shop, {"api_key": api_key, "webhook_url": ctx.notify_url, "networks": None}


def put_shops(shops, timeout=TIMEOUT):
    """PUT ``(shop_id, body)`` pairs to the FeexPay simulator; returns the ids accepted."""
    base = current_app.config["SIMULATOR_URL"].rstrip("/") + "/feexpay/_sim/shops/"
    session = http.session("simulator-admin", timeout=timeout)
    registered = []
    for shop, payload in shops:
        try:
            resp = session.put(base + shop, json=payload)
        except GatewayError as exc:
            log.warning("simulator unreachable; shops not registered",
                        extra={"simulator": base, "error": str(exc)})
            break
        if resp.status_code in (200, 201):
            registered.append(shop)
        else:
            log.warning("simulator refused a shop", extra={"status": resp.status_code})
    return registered
