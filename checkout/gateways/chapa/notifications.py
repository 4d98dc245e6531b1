"""Chapa's notifications to us (providers.md 2.3, 2.5): the HMAC-signed webhook and the
unsigned GET callback. Verification raises; it never returns a bool."""
import hashlib
import hmac
import re
from collections.abc import Mapping

from checkout.gateways.base import Account, GatewayResult, Notification, RefundUpdate
from checkout.gateways.errors import GatewayNotSupported, WebhookVerificationError

from . import wire
from .errors import scrub

MAX_NOTIFICATION_BYTES = 64 * 1024
STRONG_HEADER, WEAK_HEADER = "x-chapa-signature", "chapa-signature"
_HEX64 = re.compile(r"[0-9a-f]{64}")
PAYMENT_EVENTS = {"charge.success": "success", "charge.failed": "failed",
                  "charge.cancelled": "cancelled", "charge.canceled": "cancelled",
                  "charge.failed/cancelled": "failed"}
REFUND_EVENTS = {"charge.refunded": "refunded", "charge.reversed": "reversed"}
_STATUS_WORD = re.compile(r"[a-z_]{0,20}")


def signature(secret: str, message: bytes) -> str:
    """Hex HMAC-SHA256 of ``message`` keyed by ``secret``: ``x-chapa-signature`` over the
    raw body, ``chapa-signature`` over the secret itself (2.5). Also for tests."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(account: Account, headers: Mapping[str, str], body: bytes) -> None:
    """Check the webhook's signature in constant time; raises WebhookVerificationError.

    ``x-chapa-signature`` (HMAC of the raw body, keyed by the account's
    ``webhook_secret``) is required, and when present must match. The weak
    ``chapa-signature`` (the secret's HMAC of itself: the same for every webhook, so a
    replayable password rather than a signature) is accepted instead only when the
    merchant turned on ``allow_weak_signature`` in the account's credentials."""
    creds = account.credentials or {}
    secret = creds.get("webhook_secret")
    if not isinstance(secret, str) or not secret:
        raise WebhookVerificationError("The Chapa account has no webhook secret",
                                       code="no_webhook_secret")
    lower = {str(k).lower(): v for k, v in headers.items()}
    strong = lower.get(STRONG_HEADER)
    if strong is not None:
        if not _matches(str(strong), signature(secret, body)):
            raise WebhookVerificationError("x-chapa-signature does not match the body")
        return
    weak = lower.get(WEAK_HEADER)
    if weak is None:
        raise WebhookVerificationError("Chapa webhook without x-chapa-signature")
    if str(creds.get("allow_weak_signature", "")).strip().lower() != "true":
        raise WebhookVerificationError("Only chapa-signature, and the weak signature is "
                                       "not allowed for this account")
    if not _matches(str(weak), signature(secret, secret.encode())):
        raise WebhookVerificationError("chapa-signature does not match")


def _matches(given: str, expected: str) -> bool:
    given = given.strip().lower()
    # compare_digest on equal-length ASCII: constant time for a well-formed header.
    return bool(_HEX64.fullmatch(given)) and hmac.compare_digest(given, expected)


def parse_webhook(account: Account, headers: Mapping[str, str], body: bytes) -> Notification:
    """A verified Chapa webhook (2.5, flat payload) as a Notification.

    ``charge.success`` / ``charge.failed`` / ``charge.cancelled`` carry a verified
    ``result`` (succeeded or failed, with the amount and currency); ``charge.refunded`` /
    ``charge.reversed`` carry a ``refund`` update (succeeded; Chapa gives no refund
    reference, so the payment's tx_ref and the amount identify it). Raises
    WebhookVerificationError (bad or missing signature, not a JSON object, no usable
    tx_ref, another mode than the account's, an unreadable amount, an event whose status
    contradicts it) and GatewayNotSupported for events we do not act on (payouts...)."""
    if not isinstance(body, (bytes, bytearray)) or len(body) > MAX_NOTIFICATION_BYTES:
        raise WebhookVerificationError("Chapa notification is missing or too large")
    body = bytes(body)
    verify_signature(account, headers, body)
    payload = wire.decode(body)
    if not isinstance(payload, dict):
        raise WebhookVerificationError("Chapa notification is not a JSON object")
    event = wire.word(payload.get("event"), 60)
    tx_ref = wire.valid_tx_ref(payload.get("tx_ref"))
    if event not in PAYMENT_EVENTS and event not in REFUND_EVENTS:
        raise GatewayNotSupported(f"Chapa event {scrub(event, 60)!r} ignored",
                                  code="event_ignored")
    if tx_ref is None:
        raise WebhookVerificationError("Chapa notification has no usable tx_ref")
    if not wire.mode_matches(payload.get("mode"), account.livemode):
        raise WebhookVerificationError("Chapa notification of another mode than the "
                                       "account's", code="mode_mismatch")
    status = wire.word(payload.get("status"), 20)
    currency = wire.currency_of(payload)
    try:
        amount = wire.minor_amount(payload.get("amount"), currency)
    except ValueError as exc:
        amount = None
        if event == "charge.success" or event in REFUND_EVENTS:
            raise WebhookVerificationError(f"Chapa notification amount: {exc}") from None
    if event in REFUND_EVENTS:
        if status not in ("", *wire.REFUNDED):
            raise WebhookVerificationError(f"{event} with status {scrub(status, 20)!r}")
        updated = scrub(payload.get("updated_at") or "", 40)
        refund = RefundUpdate(status="succeeded", provider_reference=None,
                              payment_reference=tx_ref, amount=amount, currency=currency)
        return Notification(provider_reference=tx_ref, payment_hint=tx_ref, refund=refund,
                            dedup_key=f"{event}:{tx_ref}:{status}:{amount}:{updated}")
    expected = PAYMENT_EVENTS[event]
    if status and wire.PAYMENT_STATUS.get(status) != wire.PAYMENT_STATUS[expected]:
        raise WebhookVerificationError(f"{event} with status {scrub(status, 20)!r}")
    data = {**payload, "status": status or expected}
    result: GatewayResult = wire.status_result(tx_ref, data, amount, currency)
    return Notification(provider_reference=tx_ref, payment_hint=tx_ref, result=result,
                        dedup_key=f"{event}:{tx_ref}:{status or expected}")


def parse_callback(query: Mapping[str, str]) -> Notification:
    """Chapa's GET ``callback_url?trx_ref=…&ref_id=…&status=…`` (2.3; ``tx_ref`` also
    accepted, and keys HTML-escaped as ``amp;ref_id``). Unsigned, so nothing in it is
    believed: the Notification names the tx_ref and carries no result (the worker
    verifies). Raises WebhookVerificationError without a usable tx_ref."""
    clean: dict[str, str] = {}
    for key, value in list(query.items())[:50]:
        key = str(key)
        while key.startswith("amp;"):
            key = key[4:]
        clean.setdefault(key, str(value))
    tx_ref = wire.valid_tx_ref(clean.get("trx_ref") or clean.get("tx_ref"))
    if tx_ref is None:
        raise WebhookVerificationError("Chapa callback without a usable trx_ref")
    status = wire.word(clean.get("status"), 20)
    status = status if _STATUS_WORD.fullmatch(status) else ""
    return Notification(provider_reference=tx_ref, payment_hint=tx_ref, result=None,
                        dedup_key=f"callback:{tx_ref}:{status}")
