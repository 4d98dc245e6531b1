"""What Daraja POSTs to our notification URL (providers.md 4.4, 4.6; Safaricom's Reversal
page): the STK callback and the reversal Result (to ResultURL, or to QueueTimeOutURL when
it timed out in Daraja's queue). Both are unsigned: the URL's per-account token, the
optional source-address allow-list and the product's checks (pending CheckoutRequestID,
amount, phone, STK query) stand in for a signature. Pure functions."""
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from checkout.gateways.base import GatewayResult, Notification, RefundUpdate
from checkout.gateways.errors import WebhookVerificationError
from checkout.gateways.text import scrub

from . import wire

MAX_BYTES = 64 * 1024
# Set by our own webhook receiver from the connection's address (a sender's copy of it
# is dropped there): what the optional ``allowed_ips`` credential is checked on.
CLIENT_ADDRESS_HEADER = "X-Checkout-Client-Address"


def header(headers: Mapping[str, str] | None, name: str) -> str:
    """A header's value, whatever the case of its name ("" when absent)."""
    for key, value in dict(headers or {}).items():
        if isinstance(key, str) and key.lower() == name.lower() and isinstance(value, str):
            return value
    return ""


def check_address(allowed: object, headers: Mapping[str, str]) -> None:
    """With ``allowed_ips`` (comma separated: Safaricom's published callback addresses),
    raise WebhookVerificationError unless the sender's address is one of them."""
    if not allowed:
        return
    addresses = {a.strip() for a in str(allowed).split(",") if a.strip()}
    if header(headers, CLIENT_ADDRESS_HEADER).strip() not in addresses:
        raise WebhookVerificationError("M-Pesa notification from an address not allowed",
                                       code="address_not_allowed")


def parse(allowed_ips: object, headers: Mapping[str, str], body: bytes) -> Notification:
    """Check and read a notification: ``{"Body": {"stkCallback": …}}`` -> a payment
    Notification (its result to be confirmed by an STK query); ``{"Result": …}`` -> a
    refund Notification. Raises WebhookVerificationError (size, address, JSON, shape)."""
    if not isinstance(body, (bytes, bytearray)) or len(body) > MAX_BYTES:
        raise WebhookVerificationError("M-Pesa notification is missing or too large")
    check_address(allowed_ips, headers)
    try:
        payload = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise WebhookVerificationError("M-Pesa notification is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookVerificationError("M-Pesa notification is not an object")
    inner = payload.get("Body")
    if isinstance(inner, dict) and isinstance(inner.get("stkCallback"), dict):
        return stk_callback(inner["stkCallback"])
    if isinstance(payload.get("Result"), dict):
        return reversal_result(payload["Result"])
    raise WebhookVerificationError("M-Pesa notification is neither an STK callback nor a "
                                   "Result")


def items(container: object, list_key: str, name_key: str) -> dict[str, Any]:
    """A Name/Value (or Key/Value) list as a dict, read by name whatever the order; an
    item without a Value (``Balance``) maps to None. A lone object counts as a list."""
    entries = container.get(list_key) if isinstance(container, dict) else None
    entries = [entries] if isinstance(entries, dict) else entries
    out: dict[str, Any] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get(name_key), str):
            out.setdefault(entry[name_key], entry.get("Value"))
    return out


def stk_callback(data: Mapping[str, Any]) -> Notification:
    """An STK callback (4.4) as a Notification: ResultCode 0 -> succeeded with the
    amount, receipt and phone of ``CallbackMetadata`` (items read by Name); any other
    code -> failed with its failure code. A success whose amount cannot be read carries
    no result (the STK query decides)."""
    reference = wire.valid_reference(data.get("CheckoutRequestID"))
    code = wire.result_code(data.get("ResultCode"))
    if reference is None or code is None:
        raise WebhookVerificationError("STK callback without a CheckoutRequestID or "
                                       "ResultCode")
    desc = data.get("ResultDesc")
    message = scrub(desc) if isinstance(desc, str) and desc.strip() else None
    raw = {"CheckoutRequestID": reference, "ResultCode": code, "ResultDesc": message}
    dedup = f"{reference}:{code}"
    if code != "0":
        result = GatewayResult(status="failed", provider_reference=reference,
                               failure_code=wire.failure_code(code),
                               failure_message=message or f"M-Pesa result {code}",
                               raw={k: v for k, v in raw.items() if v})
        return Notification(provider_reference=reference, dedup_key=dedup, result=result)
    meta = items(data.get("CallbackMetadata"), "Item", "Name")
    try:
        amount = wire.amount_minor(meta.get("Amount"))
    except ValueError:
        amount = None
    if amount is None:
        return Notification(provider_reference=reference, dedup_key=dedup, result=None)
    receipt = wire.receipt_of(meta.get("MpesaReceiptNumber"))
    date = str(meta.get("TransactionDate") or "")
    raw.update(MpesaReceiptNumber=receipt,
               TransactionDate=date if date.isdigit() and len(date) == 14 else None)
    result = GatewayResult(status="succeeded", provider_reference=reference, amount=amount,
                           currency="KES", receipt=receipt,
                           phone=wire.phone_e164(meta.get("PhoneNumber")),
                           raw={k: v for k, v in raw.items() if v})
    return Notification(provider_reference=reference, dedup_key=dedup, result=result)


def reversal_result(data: Mapping[str, Any]) -> Notification:
    """A reversal Result as a refund Notification: ResultCode 0 (with ResultType 0) ->
    succeeded, anything else (R000001 already reversed, R000002 unknown transaction,
    2001 initiator invalid, a queue timeout...) -> failed. Its reference is the
    ``OriginatorConversationID`` that ``refund()`` returned."""
    reference = wire.valid_reference(data.get("OriginatorConversationID"))
    code = wire.result_code(data.get("ResultCode"))
    if reference is None or code is None:
        raise WebhookVerificationError("Reversal result without an "
                                       "OriginatorConversationID or ResultCode")
    kind = wire.result_code(data.get("ResultType"))
    succeeded = code == "0" and kind in (None, "0")
    params = items(data.get("ResultParameters"), "ResultParameter", "Key")
    try:
        amount = wire.amount_minor(params.get("Amount"))
    except ValueError:
        amount = None
    desc = data.get("ResultDesc")
    message = None
    if not succeeded:
        message = scrub(desc) if isinstance(desc, str) and desc.strip() else \
            f"M-Pesa reversal result {code}"
    update = RefundUpdate(status="succeeded" if succeeded else "failed",
                          provider_reference=reference, payment_reference=None,
                          amount=amount, currency="KES" if amount else None,
                          failure_message=message)
    return Notification(provider_reference=reference,
                        dedup_key=f"reversal:{reference}:{code}:{kind or '0'}", refund=update)
