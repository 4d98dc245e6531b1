"""Helpers for the end-to-end tests: a checkout row, payments started through the real
flow, and what the database says about them afterwards."""
from datetime import timedelta

import requests

from checkout.extensions import db
from checkout.core.ids import new_id
from checkout.models import Checkout, Event, GatewayNotification, Payment, PaymentEvent
from checkout.core.timeutil import utcnow


def phone(magic):
    """A Benin MTN number (+229 01 90 00 00 NN) whose last two digits pick the
    simulator's scenario."""
    return f"+22901900000{magic}"


def make_checkout(merchant, amount=5000, expires_in=3600, order_id=None):
    checkout = Checkout(id=new_id("cs"), merchant_id=merchant.id, livemode=False,
                        order_id=order_id or new_id("order", 10), amount=amount,
                        currency="XOF", country="BJ", status="open",
                        return_url="https://shop.example/done",
                        expires_at=utcnow() + timedelta(seconds=expires_in))
    db.session.add(checkout)
    db.session.commit()
    return checkout.id


def start(merchant, magic, method="mtn_bj", **checkout_kw):
    """A checkout and an attempt on it through payments.flow.start_payment."""
    from checkout.payments.flow import start_payment
    checkout_id = make_checkout(merchant, **checkout_kw)
    payment = start_payment(checkout_id, method, phone(magic))
    return checkout_id, payment.id


def payment(payment_id):
    return db.session.get(Payment, payment_id)


def checkout(checkout_id):
    return db.session.get(Checkout, checkout_id)


def timeline(checkout_id, type_=None):
    stmt = db.select(PaymentEvent).where(PaymentEvent.checkout_id == checkout_id)
    if type_:
        stmt = stmt.where(PaymentEvent.type == type_)
    return db.session.execute(stmt.order_by(PaymentEvent.id)).scalars().all()


def events(checkout_id, type_=None):
    stmt = db.select(Event).where(Event.object_id == checkout_id)
    if type_:
        stmt = stmt.where(Event.type == type_)
    return db.session.execute(stmt.order_by(Event.created_at)).scalars().all()


def notifications():
    return db.session.execute(db.select(GatewayNotification)
                              .order_by(GatewayNotification.id)).scalars().all()


def notify_url(payment_id):
    from checkout.merchants.accounts import account_context
    from checkout.models import GatewayAccount
    pay = db.session.get(Payment, payment_id)
    return account_context(db.session.get(GatewayAccount, pay.gateway_account_id)).notify_url


def feexpay_webhook(payment_id, status="SUCCESSFUL", **extra):
    """A notification body as FeexPay sends it (providers.md 1.7) for ``payment_id``."""
    pay = db.session.get(Payment, payment_id)
    body = {"reference": pay.provider_reference, "order_id": pay.provider_reference,
            "status": status, "amount": pay.amount, "callback_info": pay.id,
            "type": "Paiement", "phoneNumber": "2290190000001", "reseau": "MTN",
            "date": "2026-01-01T00:00:00Z", "reason": None}
    body.update(extra)
    return body


def sim_transaction(simulator, reference):
    resp = requests.get(f"{simulator.url}/feexpay/_sim/transactions/{reference}", timeout=5)
    resp.raise_for_status()
    return resp.json()


def sim_transactions(simulator):
    resp = requests.get(f"{simulator.url}/feexpay/_sim/transactions", timeout=5)
    resp.raise_for_status()
    return resp.json()
