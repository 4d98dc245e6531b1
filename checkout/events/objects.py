"""The JSON shapes of api.md, built from rows. Shared by the API and event payloads."""
from flask import current_app

from checkout.core.phones import mask_phone
from checkout.core.timeutil import isoformat


def checkout_url(checkout_id):
    return f"{current_app.config['CHECKOUT_PUBLIC_URL']}/c/{checkout_id}"


def serialize_payment(p):
    return {
        "id": p.id, "object": "payment", "checkout": p.checkout_id, "status": p.status,
        "gateway": p.gateway, "method": p.method, "amount": p.amount, "currency": p.currency,
        "phone": mask_phone(p.phone), "provider_reference": p.provider_reference,
        "failure_code": p.failure_code, "failure_message": p.failure_message,
        "livemode": p.livemode, "duplicate": p.duplicate, "paid_late": p.paid_late,
        "refunded_amount": p.refunded_amount,
        "created_at": isoformat(p.created_at), "completed_at": isoformat(p.completed_at),
    }


def serialize_checkout(c, payment=None, payments=None):
    """The checkout object. ``payment``: the successful attempt (or None);
    ``payments``: every attempt, for the retrieve call only."""
    out = {
        "id": c.id, "object": "checkout", "url": checkout_url(c.id), "status": c.status,
        "order_id": c.order_id, "amount": c.amount, "currency": c.currency,
        "description": c.description, "country": c.country, "methods": c.methods,
        "return_url": c.return_url, "cancel_url": c.cancel_url,
        "metadata": c.metadata_ or {}, "livemode": c.livemode, "paid_late": c.paid_late,
        "expires_at": isoformat(c.expires_at), "created_at": isoformat(c.created_at),
        "updated_at": isoformat(c.updated_at), "completed_at": isoformat(c.completed_at),
        "payment": serialize_payment(payment) if payment is not None else None,
    }
    if payments is not None:
        out["payments"] = [serialize_payment(p) for p in payments]
    return out


def serialize_refund(r):
    return {
        "id": r.id, "object": "refund", "payment": r.payment_id, "amount": r.amount,
        "currency": r.currency, "status": r.status, "reason": r.reason,
        "failure_message": r.failure_message, "livemode": r.livemode,
        "created_at": isoformat(r.created_at), "completed_at": isoformat(r.completed_at),
    }
