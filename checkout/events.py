"""Merchant-facing events (``evt_``): written in the same transaction as the change
they report, so an event exists if and only if the change was committed."""
from .extensions import db
from .ids import new_id
from .models import Checkout, Event, Payment
from .serializers import serialize_checkout, serialize_refund
from .timeutil import utcnow

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
        from .serializers import serialize_payment
        data["related_payment"] = serialize_payment(payment)
    return _add(checkout.merchant_id, checkout.livemode, type_, checkout.id, data)


def record_refund_event(type_, refund):
    return _add(refund.merchant_id, refund.livemode, type_, refund.id, serialize_refund(refund))


_listeners = []


def on_event(fn):
    """Register ``fn(event)``, called after flush for each new event (webhook fan-out)."""
    _listeners.append(fn)
    return fn


def _add(merchant_id, livemode, type_, object_id, data):
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_}")
    event = Event(id=new_id("evt"), merchant_id=merchant_id, livemode=livemode, type=type_,
                  object_id=object_id, data=data, created_at=utcnow())
    db.session.add(event)
    for fn in _listeners:
        fn(event)
    return event


__all__ = ["record_checkout_event", "record_refund_event", "on_event", "EVENT_TYPES", "Checkout"]
