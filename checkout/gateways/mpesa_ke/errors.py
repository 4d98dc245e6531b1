"""Daraja failures in our vocabulary: the ONE place that turns an HTTP answer into a
typed error with a stable code.

Facts used (providers.md 4.2-4.5, Safaricom's Reversal page): a refusal is the envelope
``{"requestId", "errorCode", "errorMessage"}``. ``400.008.01`` / ``400.008.02`` (token:
authentication type, grant type), ``404.001.03`` Invalid Access Token, ``400.002.02``
"Bad Request - Invalid XXXX", ``404.001.01`` resource not found, ``500.001.1001`` (several
meanings, told apart by the message: "Unable to lock subscriber", "The transaction is
being processed", wrong credentials / merchant does not exist), ``500.003.02`` Spike
Arrest Violation, ``500.003.03`` quota violation, ``500.003.1001`` internal error.
"""
import re

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayError,
    GatewayUnavailable,
)
from checkout.gateways.text import scrub

INVALID_TOKEN = "404.001.03"
BAD_REQUEST = "400.002.02"
LOCKED_OR_BUSY = "500.001.1001"
RATE_LIMITS = ("500.003.02", "500.003.03")
TOKEN_ERRORS = ("400.008.01", "400.008.02")
# 400.002.02 "Bad Request - Invalid <Field>": the field names our code.
_FIELDS = [
    (r"phone|partya|msisdn", "invalid_phone"),
    (r"amount", "amount_out_of_limits"),
    (r"shortcode|partyb|transactiontype|receiverparty|initiator|identifiertype",
     "shop_not_configured"),
    (r"checkoutrequestid", "unknown_reference"),
    (r"transactionid", "unknown_transaction"),
]
_FIELD_PATTERNS = [(re.compile(p, re.IGNORECASE), code) for p, code in _FIELDS]


def envelope(payload: object) -> tuple[str, str]:
    """(errorCode, errorMessage) of an answer, "" for what it does not carry."""
    if not isinstance(payload, dict):
        return "", scrub(payload, 200) if isinstance(payload, str) else ""
    code, message = payload.get("errorCode"), payload.get("errorMessage")
    return (scrub(code, 40) if isinstance(code, str) else "",
            scrub(message, 200) if isinstance(message, str) else "")


def is_invalid_token(status: int, payload: object) -> bool:
    """Daraja's "Invalid Access Token" (404.001.03, or a 401 saying so): the token was
    revoked or expired early; a new one may be fetched and the call made once more."""
    code, message = envelope(payload)
    return code == INVALID_TOKEN or (status == 401 and "access token" in message.lower())


def is_being_processed(status: int, payload: object) -> bool:
    """The STK query's answer while the shopper has not answered yet (4.5)."""
    code, message = envelope(payload)
    return code == LOCKED_OR_BUSY and "being processed" in message.lower()


def error_for(status: int, payload: object, operation: str) -> GatewayError:
    """The typed error for a refusal of ``operation`` ("token", "initiate", "status",
    "refund").

    Token refusals and invalid tokens -> GatewayAuthError (gateway_auth_failed); wrong
    credentials / unknown merchant -> GatewayAuthError (shop_not_configured); "Unable to
    lock subscriber" -> GatewayDeclined("subscriber_busy": a prompt is already open on
    that phone; wait about a minute); spike arrest / quota -> GatewayUnavailable
    ("rate_limited", retryable: the caller must back off, not retry at once);
    400.002.02 -> GatewayDeclined with the code of the field named (``unknown_reference``
    is retryable: not a payment outcome); other 5xx -> GatewayUnavailable (504 on an
    initiate leaves the outcome unknown); anything else -> GatewayUnavailable
    (invalid_response)."""
    code, message = envelope(payload)
    text = f"Daraja: {code + ' ' if code else ''}{message or f'HTTP {status}'}"
    kw = {"http_status": status}
    lower = message.lower()
    if operation == "token" and (code in TOKEN_ERRORS or 400 <= status < 500):
        return GatewayAuthError(text, code="gateway_auth_failed", **kw)
    if code == INVALID_TOKEN or status in (401, 403):
        return GatewayAuthError(text, code="gateway_auth_failed", **kw)
    if code in RATE_LIMITS or status == 429 or "spike arrest" in lower:
        return GatewayUnavailable(text, code="rate_limited", retryable=True, **kw)
    if code == LOCKED_OR_BUSY:
        if "lock subscriber" in lower or "already in process" in lower:
            return GatewayDeclined(text, code="subscriber_busy", **kw)
        if "credential" in lower or "merchant does not exist" in lower:
            return GatewayAuthError(text, code="shop_not_configured", **kw)
    if code == BAD_REQUEST or (status == 400 and lower.startswith("bad request")):
        field = next((c for p, c in _FIELD_PATTERNS if p.search(lower)), "declined")
        if field == "shop_not_configured":
            return GatewayAuthError(text, code=field, **kw)
        return GatewayDeclined(text, code=field, retryable=field == "unknown_reference",
                               **kw)
    if status >= 500:
        return GatewayUnavailable(text, code="provider_timeout" if status == 504
                                  else "provider_error", retryable=True,
                                  outcome_unknown=status == 504 and operation != "status",
                                  **kw)
    return GatewayUnavailable(f"Daraja: unexpected HTTP {status} {message}".strip(),
                              code="invalid_response", **kw)
