"""The one set of factories of the suite: merchants, checkouts and payment attempts
written to the test database, and the reads that check what became of them.

Every factory needs the ``app`` fixture (an app context on the emptied test database).
Defaults are those of an ordinary test-mode order in Benin: 5,000 F CFA, open for an
hour, paid by MTN MoMo from +229 01 90 00 00 01. Fixtures (``make_merchant``,
``merchant``, the hosted pages' ``make_checkout``/``make_attempt``) are thin wrappers
over these functions."""
import uuid
from datetime import timedelta

from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import all_methods
from checkout.gateways.base import GatewayResult
from checkout.merchants import accounts
from checkout.merchants.keys import generate_key, hash_key
from checkout.models import (
    ApiKey,
    Checkout,
    Event,
    GatewayAccount,
    GatewayNotification,
    Payment,
    PaymentEvent,
)
from checkout.payments import flow, service

PHONE = "+2290190000001"
_AUTO = object()      # "make one up": a fresh order id, provider reference...


# -- Merchants ---------------------------------------------------------------------------

class Merchant:
    """What a test needs of a merchant: its row's ids and the secrets shown once."""

    def __init__(self, row, key, link_secret):
        self.id, self.public_id, self.name = row.id, row.public_id, row.name
        self.key, self.link_secret = key, link_secret
        self.auth = {"Authorization": f"Bearer {key}"}


def make_merchant(name="Demo Shop", email=None, return_hosts=("shop.example",), country="BJ"):
    """A merchant as ``flask merchants create`` makes it (a test key, a link secret, test
    gateway accounts), committed."""
    row, key, secret = accounts.create_merchant(
        name, email or f"{uuid.uuid4().hex[:8]}@shop.example", "correct horse battery",
        return_hosts, country)
    db.session.commit()
    return Merchant(row, key, secret)


def live_auth(merchant):
    """A new live-mode API key for ``merchant`` (or a merchant id), committed: the
    Authorization header that uses it."""
    key = generate_key(livemode=True)
    db.session.add(ApiKey(merchant_id=getattr(merchant, "id", merchant), livemode=True,
                          key_hash=hash_key(key), prefix=key[:12]))
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


# -- Checkouts ---------------------------------------------------------------------------

def checkout_body(**overrides):
    """A valid body for POST /api/v1/checkouts; a field set to ``...`` is left out."""
    body = {"order_id": "A-1001", "amount": 5000, "currency": "XOF",
            "return_url": "https://shop.example/orders/A-1001"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def make_checkout(merchant, *, amount=5000, currency="XOF", country="BJ", status="open",
                  livemode=False, order_id=_AUTO, expires_in=3600, expires_at=None,
                  description="2 x T-shirt", return_url="https://shop.example/orders/1",
                  commit=True, **fields):
    """A checkout row written straight to the database -> its id.

    ``merchant``: a Merchant or a merchant id. Expires ``expires_in`` seconds from now
    (negative: already past) unless ``expires_at`` is given. Other ``fields`` (customer,
    methods, locale, cancel_url...) go to the row as they are. ``commit=False`` only
    flushes, for a caller that goes on in the same transaction."""
    checkout = Checkout(
        id=new_id("cs"), merchant_id=getattr(merchant, "id", merchant), livemode=livemode,
        order_id=new_id("ord", 10) if order_id is _AUTO else order_id, amount=amount,
        currency=currency, country=country, status=status, description=description,
        return_url=return_url,
        expires_at=expires_at or utcnow() + timedelta(seconds=expires_in), **fields)
    db.session.add(checkout)
    db.session.flush()
    if commit:
        db.session.commit()
    return checkout.id


# -- Payments ----------------------------------------------------------------------------

def add_payment(checkout_id, method="mtn_bj", *, phone=PHONE, provider_reference=_AUTO,
                outcome=None, source="test", commit=True, **fields):
    """A pending attempt on an open checkout, begun through the payment services (no
    provider is called) -> its id. The checkout is then ``processing``.

    The gateway is the one that offers ``method``, on the merchant's account of the
    checkout's mode; ``phone`` is kept only for a method that needs one. A provider
    reference is made up unless given (None: none yet). Other ``fields`` (next_action,
    next_poll_at, deadline_at...) go to the row. ``outcome`` ("succeeded"/"failed") is
    then reported by the gateway (:func:`report`)."""
    checkout = db.session.get(Checkout, checkout_id)
    offered = all_methods()[method]
    account_id = db.session.execute(db.select(GatewayAccount.id).where(
        GatewayAccount.merchant_id == checkout.merchant_id,
        GatewayAccount.gateway == offered.gateway,
        GatewayAccount.livemode == checkout.livemode)).scalar_one()
    if provider_reference is _AUTO:
        provider_reference = "ref-" + new_id("x", 8)
    payment = Payment(id=new_id("pay"), checkout_id=checkout.id,
                      merchant_id=checkout.merchant_id, livemode=checkout.livemode,
                      gateway=offered.gateway, gateway_account_id=account_id, method=method,
                      amount=checkout.amount, currency=checkout.currency,
                      phone=phone if offered.needs_phone else None,
                      provider_reference=provider_reference, **fields)
    service.begin_attempt(checkout.id, payment, source=source)
    payment_id = payment.id
    if outcome:
        report(payment_id, outcome, commit=False)
    if commit:
        db.session.commit()
    return payment_id


def report(payment_id, status, *, source="test", commit=True, **result):
    """The gateway's report on an attempt (``GatewayResult`` fields in ``result``),
    applied through the one service that writes statuses. A success is for the amount
    and currency asked unless told otherwise."""
    if status == "succeeded":
        payment = db.session.get(Payment, payment_id)
        result.setdefault("amount", payment.amount)
        result.setdefault("currency", payment.currency)
    decision = service.apply_result(payment_id, GatewayResult(status=status, **result), source)
    if commit:
        db.session.commit()
    return decision


def magic_phone(magic):
    """A Benin MTN number (+229 01 90 00 00 NN) whose last two digits pick the
    simulator's scenario (providers.md 1.8)."""
    return f"+22901900000{magic}"


def start_attempt(merchant, magic="01", method="mtn_bj", **checkout_fields):
    """A checkout and an attempt on it through the real flow (``flow.start_payment``:
    the gateway is called) -> (checkout id, payment id). Commits."""
    checkout_id = make_checkout(merchant, **checkout_fields)
    payment = flow.start_payment(checkout_id, method, magic_phone(magic))
    return checkout_id, payment.id


# -- Reading back ------------------------------------------------------------------------

def payment(payment_id):
    return db.session.get(Payment, payment_id)


def checkout(checkout_id):
    return db.session.get(Checkout, checkout_id)


def timeline(checkout_id, type_=None):
    """The checkout's payment events (its timeline), oldest first."""
    stmt = db.select(PaymentEvent).where(PaymentEvent.checkout_id == checkout_id)
    if type_:
        stmt = stmt.where(PaymentEvent.type == type_)
    return db.session.execute(stmt.order_by(PaymentEvent.id)).scalars().all()


def events(checkout_id, type_=None):
    """The merchant-facing events about the checkout, oldest first."""
    stmt = db.select(Event).where(Event.object_id == checkout_id)
    if type_:
        stmt = stmt.where(Event.type == type_)
    return db.session.execute(stmt.order_by(Event.created_at)).scalars().all()


def notifications():
    """Every stored gateway notification, oldest first."""
    return db.session.execute(db.select(GatewayNotification)
                              .order_by(GatewayNotification.id)).scalars().all()
