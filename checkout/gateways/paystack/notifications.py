"""Paystack webhooks (providers.md 3.5): the signature and sender checks, and the events
we act on read into Notifications. Pure functions; nothing here calls out."""
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from checkout.gateways.base import Notification
from checkout.gateways.errors import GatewayNotSupported, WebhookVerificationError

from . import wire
from .errors import scrub

MAX_BYTES = 64 * 1024
SIGNATURE_HEADER = "x-paystack-signature"
# Set by our own webhook receiver from the connection's address (a sender's header of
# that name must be overwritten there): what the optional ``allowed_ips`` is checked on.
CLIENT_ADDRESS_HEADER = "X-Checkout-Client-Address"


def header(headers: Mapping[str, str] | None, name: str) -> str:
    """A header's value, whatever the case of its name ("" when absent)."""
    value = headers.get(name) if hasattr(headers, "get") else None
    if value is None:
        value = next((v for k, v in dict(headers or {}).items()
                      if isinstance(k, str) and k.lower() == name.lower()), None)
    return value if isinstance(value, str) else ""


def signature(secret_key: str, body: bytes) -> str:
    """The hex HMAC-SHA512 of the exact body bytes, keyed by the secret key."""
    return hmac.new(secret_key.encode(), bytes(body), hashlib.sha512).hexdigest()


def check_signature(secret_key: str, headers: Mapping[str, str], body: bytes) -> None:
    """Raise WebhookVerificationError unless ``x-paystack-signature`` is the signature of
    ``body`` (constant-time comparison)."""
    given = header(headers, SIGNATURE_HEADER).strip().lower()
    expected = signature(secret_key, body)
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebhookVerificationError("Paystack signature missing or wrong",
                                       code="bad_signature")


def check_address(allowed: object, headers: Mapping[str, str]) -> None:
    """With an allow-list (``allowed_ips``: comma separated), raise
    WebhookVerificationError unless the sender's address is on it."""
    if not allowed:
        return
    addresses = {a.strip() for a in str(allowed).split(",") if a.strip()}
    if header(headers, CLIENT_ADDRESS_HEADER).strip() not in addresses:
        raise WebhookVerificationError("Paystack notification from an address not allowed",
                                       code="address_not_allowed")


def parse(secret_key: str, livemode: bool, allowed_ips: object,
          headers: Mapping[str, str], body: bytes) -> Notification:
    """Verify a webhook then read it: ``charge.success`` -> a Notification with a
    verified succeeded result (None when its amount cannot be read: then verify
    confirms); ``refund.*`` -> a Notification with a RefundUpdate. Raises
    WebhookVerificationError (size, signature, address, shape, another mode's
    ``domain``) and GatewayNotSupported for every other event."""
    if not isinstance(body, (bytes, bytearray)) or len(body) > MAX_BYTES:
        raise WebhookVerificationError("Paystack notification is missing or too large")
    check_signature(secret_key, headers, body)
    check_address(allowed_ips, headers)
    try:
        payload = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise WebhookVerificationError("Paystack notification is not JSON") from None
    event = payload.get("event") if isinstance(payload, dict) else None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(event, str) or not isinstance(data, dict):
        raise WebhookVerificationError("Paystack notification has no event or data")
    event = scrub(event, 60)
    if event == "charge.success":
        wire.check_domain(livemode, data)
        return _charge(data)
    if event.startswith("refund."):
        wire.check_domain(livemode, data)
        return _refund(event, data)
    raise GatewayNotSupported(f"ignored event {event}", code="ignored_event")


def _charge(data: dict[str, Any]) -> Notification:
    reference = wire.valid_reference(data.get("reference"))
    if reference is None:
        raise WebhookVerificationError("Paystack charge.success without a usable reference")
    metadata = data.get("metadata")
    hint = metadata.get("payment_id") if isinstance(metadata, dict) else None
    hint = hint if isinstance(hint, str) and wire.PAYMENT_ID_RE.fullmatch(hint) else None
    result = None
    if wire.status_word(data) == "success":
        try:
            result = wire.verify_result(reference, data, 0)
        except ValueError:
            result = None       # unreadable amount: confirmed by verify instead
    return Notification(provider_reference=reference, dedup_key=f"{reference}:charge.success",
                        result=result, payment_hint=hint)


def _refund(event: str, data: dict[str, Any]) -> Notification:
    try:
        update = wire.refund_update(data)
    except ValueError as exc:
        raise WebhookVerificationError(f"Paystack refund event unreadable: {exc}") from None
    dedup = (f"{update.payment_reference}:{event}:{update.provider_reference or '-'}"
             f":{update.amount}")
    return Notification(provider_reference=update.payment_reference, dedup_key=dedup,
                        refund=update)
