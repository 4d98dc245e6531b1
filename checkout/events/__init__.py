"""Merchant-facing events (``evt_``): written in the same transaction as the change
they report, so an event exists if and only if the change was committed."""
from flask import current_app

from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Event, Payment

from .objects import serialize_checkout, serialize_payment, serialize_refund

EVENT_TYPES = (
    "checkout.paid", "checkout.expired", "checkout.canceled", "checkout.processing",
    "payment.failed", "payment.duplicate", "payment.paid_late",
    "refund.succeeded", "refund.failed",
)


def _checkout_payload(checkout):
    payment = db.session.get(Payment, checkout.payment_id) if checkout.payment_id else None
    return serialize_checkout(checkout, payment=payment)


def record_checkout_event(type_, checkout, payment=None):
    """Add an event whose data is the checkout object as it is now (flush only).
    ``payment``: the attempt the event is about, if it is not the checkout's paid one."""
    data = _checkout_payload(checkout)
    if payment is not None and payment.id != checkout.payment_id:
        data["related_payment"] = serialize_payment(payment)
    return _add(checkout.merchant_id, checkout.livemode, type_, checkout.id, data)


def record_refund_event(type_, refund):
    return _add(refund.merchant_id, refund.livemode, type_, refund.id, serialize_refund(refund))


_EXTENSION = "checkout.event_listeners"


def add_listener(app, fn):
    """Call ``fn(event)`` for each new event recorded in ``app`` (in the event's own
    transaction: the webhook fan-out). ``create_app`` adds them. Returns ``fn``."""
    listeners = app.extensions.setdefault(_EXTENSION, [])
    if fn not in listeners:
        listeners.append(fn)
    return fn


def _add(merchant_id, livemode, type_, object_id, data):
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_}")
    event = Event(id=new_id("evt"), merchant_id=merchant_id, livemode=livemode, type=type_,
                  object_id=object_id, data=data, created_at=utcnow())
    db.session.add(event)
    for fn in current_app.extensions.get(_EXTENSION, ()):
        fn(event)
    return event


__all__ = ["EVENT_TYPES", "add_listener", "record_checkout_event", "record_refund_event"]
