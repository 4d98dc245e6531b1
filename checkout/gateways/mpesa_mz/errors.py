"""INS response codes (providers.md 5.6) in our vocabulary: the ONE table that says what
each code means for a payment, a refund or a payout.

Kinds: ``ok``; ``duplicate`` (INS-10: that ThirdPartyReference was already used: a call
with it exists, ask its status rather than fail); ``declined`` (a final refusal, nothing
debited); ``auth`` (the merchant's credentials or set-up); ``busy`` (refused before
acting, retry later: nothing debited); ``unknown`` (the platform failed after the
request arrived: a debit cannot be ruled out, ask the status before anything else)."""
from collections.abc import Mapping
from typing import Any

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayError,
    GatewayUnavailable,
)
from checkout.gateways.text import scrub

# code -> (kind, our failure code)
INS: dict[str, tuple[str, str]] = {
    "INS-0": ("ok", ""),
    "INS-1": ("unknown", "provider_error"),          # internal error
    "INS-2": ("auth", "gateway_auth_failed"),        # invalid API key
    "INS-4": ("auth", "gateway_auth_failed"),        # user not active
    "INS-5": ("declined", "canceled"),               # cancelled by the customer
    "INS-6": ("declined", "declined"),               # transaction failed
    "INS-9": ("declined", "timeout"),                # the customer did not answer in time
    "INS-10": ("duplicate", "duplicate"),
    "INS-13": ("auth", "shop_not_configured"),       # invalid shortcode
    "INS-14": ("declined", "provider_error"),        # invalid reference
    "INS-15": ("declined", "amount_out_of_limits"),  # invalid amount
    "INS-16": ("busy", "operator_unavailable"),      # temporary overload
    "INS-17": ("declined", "provider_error"),        # invalid TransactionReference
    "INS-18": ("declined", "provider_error"),        # invalid TransactionID
    "INS-19": ("declined", "provider_error"),        # invalid ThirdPartyReference
    "INS-20": ("declined", "provider_error"),        # not all parameters provided
    "INS-21": ("declined", "provider_error"),        # parameter validation failed
    "INS-22": ("declined", "provider_error"),        # invalid operation type
    "INS-23": ("unknown", "provider_error"),         # unknown status: contact support
    "INS-24": ("auth", "shop_not_configured"),       # invalid InitiatorIdentifier
    "INS-25": ("auth", "shop_not_configured"),       # invalid SecurityCredential
    "INS-26": ("auth", "gateway_auth_failed"),       # not authorized
    "INS-993": ("declined", "provider_error"),       # direct debit missing
    "INS-994": ("declined", "provider_error"),       # direct debit already exists
    "INS-995": ("declined", "account_inactive"),     # customer profile problem
    "INS-996": ("declined", "account_inactive"),     # customer account not active
    "INS-997": ("declined", "provider_error"),       # linking transaction not found
    "INS-998": ("declined", "provider_error"),       # invalid market
    "INS-2001": ("declined", "wrong_pin"),           # initiator authentication (PIN)
    "INS-2002": ("declined", "invalid_phone"),       # receiver invalid (B2C: the phone)
    "INS-2005": ("declined", "amount_out_of_limits"),  # rule limited (UNCONFIRMED)
    "INS-2006": ("declined", "insufficient_funds"),
    "INS-2051": ("declined", "invalid_phone"),       # MSISDN invalid
    "INS-2057": ("declined", "provider_error"),      # language code invalid
}
# For a C2B payment the receiver is the merchant's shortcode, not the shopper.
C2B_OVERRIDES = {"INS-2002": ("auth", "shop_not_configured")}


def code_of(payload: object) -> str | None:
    """``output_ResponseCode`` of an answer (``INS-0``...), or None."""
    if isinstance(payload, Mapping):
        value = payload.get("output_ResponseCode")
        if isinstance(value, str) and value.strip():
            return value.strip().upper()[:16]
    return None


def describe(payload: object, status: int) -> str:
    """A merchant/log message: ``M-Pesa INS-2006: Insufficient balance (HTTP 422)``."""
    code = code_of(payload) or "no INS code"
    desc = ""
    if isinstance(payload, Mapping):
        for key in ("output_ResponseDesc", "output_error"):
            if isinstance(payload.get(key), str) and payload[key].strip():
                desc = ": " + scrub(payload[key], 150)
                break
    return f"M-Pesa {code}{desc} (HTTP {status})"


def classify(payload: object, status: int, c2b: bool = False) -> tuple[str, str]:
    """(kind, our code) for an answer. An unknown INS code, or none, is read from the
    HTTP status: 2xx without INS-0, 5xx and 504-like answers are ``unknown``, 503
    ``busy``, 401/403 ``auth``, other 4xx ``declined``."""
    code = code_of(payload)
    if code is not None and code in INS:
        return (C2B_OVERRIDES.get(code) if c2b else None) or INS[code]
    if status in (401, 403):
        return "auth", "gateway_auth_failed"
    if status == 503:
        return "busy", "operator_unavailable"
    if status == 429:
        return "busy", "rate_limited"
    if 400 <= status < 500:
        return "declined", "declined"
    return "unknown", "invalid_response" if status < 500 else "provider_error"


def error_for(kind: str, code: str, payload: object, status: int) -> GatewayError:
    """The typed error for a non-success ``kind``: auth -> GatewayAuthError; busy ->
    GatewayUnavailable (retryable, nothing debited); unknown -> GatewayUnavailable
    with ``outcome_unknown``; declined (and anything else) -> GatewayDeclined."""
    message = describe(payload, status)
    if kind == "auth":
        return GatewayAuthError(message, code=code, http_status=status)
    if kind == "busy":
        return GatewayUnavailable(message, code=code, retryable=True, http_status=status)
    if kind == "unknown":
        return GatewayUnavailable(message, code=code, retryable=False, outcome_unknown=True,
                                  http_status=status)
    return GatewayDeclined(message, code=code, http_status=status)


def raw_of(payload: Mapping[str, Any]) -> dict[str, str]:
    """What to keep of an answer in the timeline: its output_* codes and ids."""
    return {k: scrub(v, 100) for k, v in payload.items()
            if k in ("output_ResponseCode", "output_ResponseDesc", "output_TransactionID",
                     "output_ConversationID", "output_ThirdPartyReference",
                     "output_ResponseTransactionStatus") and isinstance(v, str)}
