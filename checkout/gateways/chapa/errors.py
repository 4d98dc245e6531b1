"""Chapa's error answers (providers.md 2.2, 2.4, 2.6) as our typed errors, in one table.

Every error body is ``{"message": ..., "status": "failed", "data": null}``; ``message`` is
a sentence, or (validation, UNCONFIRMED shape) an object of field -> list of sentences.
"""
import re

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayError,
    GatewayUnavailable,
)
from checkout.gateways.text import match_reason, scrub

# (pattern on the provider's words, our stable code), first match wins.
_PATTERNS = [
    (r"authori[sz]ation required|invalid api key|user doesn.?t exist", "gateway_auth_failed"),
    (r"payments? through api is disabled", "api_payments_disabled"),
    (r"can.?t receive payments|cannot receive payments", "account_cannot_receive"),
    (r"reference has been used|already been used|duplicate", "duplicate_reference"),
    (r"invalid currency|currency is not supported", "currency_not_supported"),
    (r"transaction not found|invalid transaction|not found", "unknown_reference"),
    (r"phone", "invalid_phone"),
    (r"e-?mail", "invalid_email"),
    (r"amount", "invalid_amount"),
    (r"content[ -]?type", "invalid_request"),
    (r"validation|required attribute|required", "invalid_request"),
    (r"rate[ _-]?limit|too many requests", "rate_limited"),
]
_COMPILED = [(re.compile(p, re.IGNORECASE), code) for p, code in _PATTERNS]
# Codes that say our merchant's account is not set up to take this call.
AUTH_CODES = {"gateway_auth_failed", "api_payments_disabled", "account_cannot_receive"}




def provider_text(payload: object) -> str:
    """The words of an error body: ``message`` as a sentence, or every sentence of a
    field -> messages object (``{"phone_number": ["..."]}``), joined."""
    if isinstance(payload, str):
        return payload[:2000]
    if not isinstance(payload, dict):
        return ""
    message = payload.get("message")
    if isinstance(message, dict):
        parts = []
        for field, value in list(message.items())[:10]:
            values = value if isinstance(value, list) else [value]
            parts += [f"{field}: {v}" for v in values[:3] if isinstance(v, (str, int))]
        return " | ".join(parts)[:2000]
    if isinstance(message, (str, int)) and not isinstance(message, bool):
        return str(message)[:2000]
    return ""


def reason_code(text: str | None) -> str | None:
    """Our stable code for Chapa's words, or None when nothing known matches."""
    return match_reason(text, _COMPILED, None)


def error_for(status: int, payload: object, operation: str) -> GatewayError:
    """The typed error for a non-2xx answer to ``operation`` ("initiate" | "verify" |
    "refund"). 401/403 -> GatewayAuthError; 429 -> GatewayUnavailable(rate_limited);
    5xx -> GatewayUnavailable (500 and 504 leave the outcome unknown: the request may have
    been acted on); 404 -> unknown_reference on verify/refund, api_payments_disabled on
    initiate; other 4xx -> GatewayDeclined with a stable code from Chapa's words
    (duplicate_reference, currency_not_supported, invalid_request, ...), or
    GatewayAuthError when the words say the merchant's account cannot take the call."""
    text = provider_text(payload)
    message = f"Chapa: {scrub(text) or f'HTTP {status}'}"
    code = reason_code(text)
    kw = {"http_status": status}
    if status in (401, 403):
        return GatewayAuthError(message, code=code if code in AUTH_CODES
                                else "gateway_auth_failed", **kw)
    if status == 429:
        return GatewayUnavailable(message, code="rate_limited", **kw)
    if status >= 500:
        server_code = {502: "provider_unavailable", 503: "provider_maintenance",
                       504: "provider_timeout"}.get(status, "provider_error")
        return GatewayUnavailable(message, code=server_code,
                                  outcome_unknown=status in (500, 504), **kw)
    if not 400 <= status < 500:
        return GatewayUnavailable(f"Chapa: unexpected HTTP {status}", code="invalid_response",
                                  **kw)
    if status == 404 and code not in AUTH_CODES:
        code = "unknown_reference" if operation != "initiate" else "api_payments_disabled"
    if code in AUTH_CODES:
        return GatewayAuthError(message, code=code, **kw)
    if code == "rate_limited":
        return GatewayUnavailable(message, code=code, **kw)
    code = code or "declined"
    # unknown_reference is not a payment outcome (see Chapa.fetch_status): retryable.
    return GatewayDeclined(message, code=code, retryable=code == "unknown_reference", **kw)
