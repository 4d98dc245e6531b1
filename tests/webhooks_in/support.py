"""Helpers of the incoming-notification tests: where a payment's provider notifies us,
and a notification body as FeexPay sends it."""
from checkout.extensions import db
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, Payment


def notify_url(payment_id):
    """The URL the payment's gateway account gives the provider for notifications."""
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
