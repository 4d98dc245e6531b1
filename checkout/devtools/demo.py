"""The demo: a seeded demo merchant (``flask demo``) and a stand-in for a merchant's
return page (``/demo/return``) that shows the signed result the shopper came back
with. Development and test mode only: both refuse to run otherwise."""
import json
import os
import time
from urllib.parse import quote, urlencode

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.links import signing
from checkout.merchants.accounts import create_merchant, link_secret
from checkout.merchants.keys import generate_key, hash_key
from checkout.merchants.testmode import register_test_accounts
from checkout.models import ApiKey, Checkout, Merchant, MerchantUser

bp = Blueprint("demo", __name__)

DEMO_EMAIL = "demo@checkout.example"
DEMO_PASSWORD = "demo-password"
DEMO_HOSTS = ("127.0.0.1", "localhost")


class DemoError(RuntimeError):
    """The demo cannot be set up here (not a development configuration)."""


def seed_demo():
    """Create the demo merchant once (later runs reuse it) and return what to open:
    a signed checkout link for a new 5 000 XOF demo order, the test key, the login.
    The test key is kept in ``instance/demo.json`` (test mode only) so that it can be
    shown again. Raises DemoError outside development/test configurations."""
    if not current_app.config.get("DEVELOPMENT"):
        raise DemoError("the demo merchant exists only in development")
    user = db.session.execute(
        db.select(MerchantUser).where(MerchantUser.email == DEMO_EMAIL)).scalar_one_or_none()
    saved = _load_state()
    if user is None:
        merchant, key, _secret = create_merchant("Demo Shop", DEMO_EMAIL, DEMO_PASSWORD,
                                                 DEMO_HOSTS, "BJ")
    else:
        merchant = db.session.get(Merchant, user.merchant_id)
        key = saved.get("test_secret_key") if saved.get("public_id") == merchant.public_id \
            else None
        if not key or not _key_valid(key, merchant.id):
            key = generate_key(livemode=False)
            db.session.add(ApiKey(merchant_id=merchant.id, livemode=False,
                                  key_hash=hash_key(key), prefix=key[:12]))
    db.session.commit()
    _save_state({"public_id": merchant.public_id, "test_secret_key": key})
    base = current_app.config["CHECKOUT_PUBLIC_URL"]
    expires = int(time.time()) + current_app.config["LINK_DEFAULT_TTL_SECONDS"]
    params = {"order_id": f"DEMO-{utcnow():%Y%m%d-%H%M%S}", "amount": "5000",
              "currency": "XOF", "return_url": f"{base}/demo/return", "mode": "test",
              "expires": str(expires)}
    params["sig"] = signing.sign(params, link_secret(merchant))
    shops = register_test_accounts(merchant.id)
    return {
        "checkout_url": f"{base}/pay/{merchant.public_id}?{urlencode(params, quote_via=quote)}",
        "merchant": merchant.public_id,
        "test_secret_key": key,
        "dashboard_login": {"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
        "simulator_registered": bool(shops),
        "try": "pay with MTN MoMo and the number 01 90 00 00 01 (ends in 01: succeeds); "
               "02 insufficient funds, 03 shopper cancels, 04 never answers",
    }


def _key_valid(key, merchant_id):
    row = db.session.execute(db.select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    row = row.scalar_one_or_none()
    return row is not None and row.merchant_id == merchant_id and row.revoked_at is None


def _state_path():
    return os.path.join(current_app.instance_path, "demo.json")


def _load_state():
    try:
        with open(_state_path()) as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(data):
    path = _state_path()
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        json.dump(data, fh)


def _texts():
    return {
        "title": _("Demo shop: order result"), "shop": _("Demo shop"),
        "intro": _("This page stands in for a merchant's site: it is where the checkout "
                   "sends the shopper back."),
        "valid": _("Signature valid."),
        "valid_more": _("This result really comes from the checkout."),
        "invalid": _("Signature NOT valid."), "invalid_more": _("Do not trust this result."),
        "order": _("Order"), "checkout": _("Checkout"), "status": _("Status"),
        "back": _("Back to the checkout"),
    }


@bp.get("/demo/return")
def demo_return():
    """Show the result the shopper returned with, and whether its signature holds."""
    if not current_app.config.get("DEVELOPMENT"):
        abort(404)
    params = {k: v for k, v in request.args.items()}
    checkout_id = params.get("checkout_id", "")[:40]
    checkout = db.session.get(Checkout, checkout_id) if checkout_id else None
    verified = False
    if checkout is not None:
        merchant = db.session.get(Merchant, checkout.merchant_id)
        try:
            signing.verify(params, link_secret(merchant))
            verified = True
        except signing.SignatureError:
            verified = False
    base = current_app.config["CHECKOUT_PUBLIC_URL"]
    return render_template(
        "demo/return.html", t=_texts(), verified=verified, order_id=params.get("order_id", "")[:64],
        checkout_id=checkout_id, status=params.get("status", "")[:20],
        checkout_url=f"{base}/c/{checkout.id}" if checkout is not None else None,
    ), 200
