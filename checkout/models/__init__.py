"""Data model. Import every model here so Alembic's autogenerate sees them all."""
from .merchant import ApiKey, GatewayAccount, Merchant, MerchantUser
from .checkout import Checkout, Payment, Refund
from .records import Event, GatewayNotification, IdempotencyRecord, PaymentEvent
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey", "Checkout", "Event", "GatewayAccount", "GatewayNotification",
    "IdempotencyRecord", "Merchant", "MerchantUser", "Payment", "PaymentEvent", "Refund",
    "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
]
