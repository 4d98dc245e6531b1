"""Paystack failures in our vocabulary: the ONE place that turns an HTTP answer, or a
message / gateway_response of a transaction, into a stable code and a typed error.

Facts used (providers.md 3.1-3.7 and PaystackOSS/openapi errors/api-errors.json): every
answer is ``{status, message, data}``; 401 "Invalid key" and "Format is Authorization
Bearer [secret key]"; 400 "Transaction reference not found"; the catalogue's messages
("Duplicate Transaction Reference", "Invalid character in transaction reference",
"Provided registration token is invalid", "Your balance is not enough...", ...).
"""
import re

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayError,
    GatewayUnavailable,
)
from checkout.gateways.text import match_reason, scrub

# (pattern, our code), first match wins, matched case-insensitively against every text
# of the answer (message, data.message, data.gateway_response, code...).
_PATTERNS = [
    (r"invalid key|format is authorization|invalid merchant selected|"
     r"authentication token expired|privileges", "gateway_auth_failed"),
    (r"please wait a few minutes|rate limit|too many requests", "rate_limited"),
    (r"too many attempts", "too_many_attempts"),
    (r"registration token is invalid|invalid otp|incorrect otp", "invalid_otp"),
    (r"transaction reference not found|transaction not found|reference not found",
     "unknown_reference"),
    (r"duplicate", "duplicate"),
    (r"invalid character in transaction reference|invalid reference", "invalid_reference"),
    (r"currency not supported", "currency_not_supported"),
    (r"email", "invalid_email"),
    (r"balance is not enough", "insufficient_balance"),
    (r"fully reversed|already (been )?refunded", "already_refunded"),
    (r"insufficient|not enough funds|low balance", "insufficient_funds"),
    (r"phone|msisdn|mobile number|not registered", "invalid_phone"),
    (r"amount|cannot refund (less|more)|limit exceeded|watch your spending",
     "amount_out_of_limits"),
    (r"abandon", "abandoned"),
    (r"cancel", "canceled"),
    (r"session timeout|expired|timed? ?out|exceeded the time", "expired"),
    (r"declined|rejected|refused|do not honou?r|not permitted", "declined"),
]
_COMPILED = [(re.compile(p, re.IGNORECASE), code) for p, code in _PATTERNS]
AUTH_CODES = {"gateway_auth_failed"}
UNAVAILABLE_CODES = {"rate_limited"}
_TEXT_KEYS = ("message", "gateway_response", "code", "type", "status")


def reason_code(text: str | None, default: str | None = "declined") -> str | None:
    """Our stable code for a Paystack message ("Insufficient Funds" ->
    ``insufficient_funds``); ``default`` when nothing known matches."""
    return match_reason(text, _COMPILED, default)




def provider_text(payload: object) -> str:
    """The human strings of an answer joined: top-level ``message`` first, then
    ``data.message`` and ``data.gateway_response`` (for matching and display)."""
    if isinstance(payload, str):
        return payload[:2000]
    if not isinstance(payload, dict):
        return ""
    parts = []
    for scope in (payload, payload.get("data")):
        if not isinstance(scope, dict):
            continue
        for key in _TEXT_KEYS:
            value = scope.get(key)
            if isinstance(value, str) and value.strip() and not (
                    scope is payload and key == "status"):
                parts.append(value.strip())
    return " | ".join(parts)[:2000]


def error_for(status: int, payload: object, operation: str) -> GatewayError:
    """The typed error for a non-2xx answer to ``operation`` ("initiate", "status",
    "submit_step", "refund", "fetch_refund").

    One table decides: 401/403 -> GatewayAuthError; 429 -> GatewayUnavailable
    (rate_limited); 5xx -> GatewayUnavailable, nothing done (504, a proxy that gave up
    waiting, leaves the outcome unknown); any other non-4xx -> GatewayUnavailable
    (invalid_response); 4xx -> GatewayDeclined with a code from Paystack's words, or
    GatewayAuthError / GatewayUnavailable when those words say it is our key or a rate
    limit. ``unknown_reference`` (and ``unknown_refund``) are marked retryable: they are
    not payment outcomes (see Paystack.fetch_status)."""
    text = provider_text(payload)
    message = f"Paystack: {scrub(text) or f'HTTP {status}'}"
    code = reason_code(text, default=None)
    kw = {"http_status": status}
    if status in (401, 403):
        return GatewayAuthError(message, code="gateway_auth_failed", **kw)
    if status == 429:
        return GatewayUnavailable(message, code="rate_limited", retryable=True, **kw)
    if status >= 500:
        server_code = {502: "operator_unavailable", 503: "provider_maintenance",
                       504: "provider_timeout"}.get(status, "provider_error")
        return GatewayUnavailable(message, code=server_code, retryable=True,
                                  outcome_unknown=status == 504, **kw)
    if not 400 <= status < 500:
        return GatewayUnavailable(f"Paystack: unexpected HTTP {status}",
                                  code="invalid_response", **kw)
    if code in AUTH_CODES:
        return GatewayAuthError(message, code=code, **kw)
    if code in UNAVAILABLE_CODES:
        return GatewayUnavailable(message, code=code, retryable=True, **kw)
    if status == 404 and code is None:
        code = "unknown_refund" if operation == "fetch_refund" else "unknown_reference"
    code = code or "declined"
    return GatewayDeclined(message, code=code,
                           retryable=code in ("unknown_reference", "unknown_refund"), **kw)
