"""Data model, one module per table family. Every model is imported here so that the
metadata (and Alembic's autogenerate) sees them all."""
from checkout.extensions import db

from .checkout import Checkout, Payment, PaymentEvent, Refund
from .event import Event
from .idempotency import IdempotencyRecord
from .merchant import ApiKey, GatewayAccount, Merchant, MerchantUser
from .notification import GatewayNotification
from .reconciliation import ReconciliationDifference
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey", "Checkout", "Event", "GatewayAccount", "GatewayNotification",
    "IdempotencyRecord", "Merchant", "MerchantUser", "Payment", "PaymentEvent",
    "ReconciliationDifference", "Refund",
    "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint", "refreshed",
]


def refreshed(model, key):
    """Read ``model`` row ``key`` again from the database, replacing what this session
    holds (another transaction may have changed it). Raises NoResultFound if gone."""
    return db.session.execute(
        db.select(model).where(model.__mapper__.primary_key[0] == key)
        .execution_options(populate_existing=True)
    ).scalar_one()
