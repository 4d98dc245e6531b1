"""FeexPay failures in our vocabulary: the ONE place that turns an HTTP answer, or a
reason string of a status answer, into a stable code and a typed error.

Facts used (providers.md): 1.2 "4xx = refusal, 5xx/502 = upstream outage (nothing
debited, retry), 429 = rate limited, timeout = unknown"; 1.2 404 "{channel} channel not
configured"; 1.9 the observed error strings; 1.11 unknown reference -> 404.
"""
import re

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayError,
    GatewayUnavailable,
)
from checkout.gateways.text import match_reason, scrub

# (pattern, our code), first match wins; matched case-insensitively against every text
# the provider put in its answer (message, error, reason, code...). providers.md 1.9.
_PATTERNS = [
    (r"ip[ _-]?not|err[ _-]?ip|whitelist|liste blanche", "ip_not_allowed"),
    (r"unauthori[sz]ed|invalid[ _-]?(api[ _-]?)?key|invalid[ _-]?token",
     "gateway_auth_failed"),
    (r"shop[^.]{0,40}(not found|disabled|introuvable|desactiv)", "shop_not_configured"),
    (r"rate[ _-]?limit|too many requests", "rate_limited"),
    (r"channel not configured|network[ _-]?unavailable|network[^.]{0,20}not (enabled|activ)",
     "network_not_enabled"),
    (r"(?<![a-z])otp(?![a-z])|payment code|code de paiement", "otp_required"),
    (r"low[ _-]?balance|insufficient|insuffisant|not enough (funds|balance)",
     "insufficient_funds"),
    (r"payer[ _-]?not[ _-]?found|invalid[ _-]?phone|phone[ _-]?number|not registered|"
     r"num[eé]ro", "invalid_phone"),
    (r"invalid[ _-]?amount|amount[^.]{0,40}(min|max|limit|exceed|below|above|least)|montant",
     "amount_out_of_limits"),
    (r"duplicate|already exists|doublon", "duplicate"),
    (r"cancel|annul", "canceled"),
    (r"expired|timeout|timed out", "expired"),
    (r"api error|operator[^.]{0,20}(unreachable|unavailable)|service unavailable",
     "operator_unavailable"),
    (r"declined|rejected|refused|refus", "declined"),
]
_COMPILED = [(re.compile(p, re.IGNORECASE), code) for p, code in _PATTERNS]
# v1's numeric body statusCode values (providers.md 1.9).
_STATUS_CODES = {"10": "insufficient_funds", "92": "canceled"}

AUTH_CODES = {"gateway_auth_failed", "ip_not_allowed", "shop_not_configured"}
UNAVAILABLE_CODES = {"rate_limited", "operator_unavailable"}
_TEXT_KEYS = ("message", "error", "errors", "reason", "code", "detail", "status",
              "responsemsg", "operator_status")


def reason_code(text: str | None, default: str | None = "declined") -> str | None:
    """Our stable code for a provider reason/message (``PAYER_NOT_FOUND`` ->
    ``invalid_phone``); ``default`` when nothing known matches."""
    return match_reason(text, _COMPILED, default)




def provider_text(payload: object) -> str:
    """Every human/provider string of an error body joined (for matching and display)."""
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
            if isinstance(value, (list, tuple)):
                parts.extend(str(v) for v in value[:5] if isinstance(v, (str, int)))
            elif isinstance(value, dict):
                parts.extend(str(v) for v in list(value.values())[:5] if isinstance(v, str))
            elif isinstance(value, (str, int)) and not isinstance(value, bool):
                parts.append(str(value))
    return " | ".join(p for p in parts if p)[:2000]


def error_for(status: int, payload: object, operation: str) -> GatewayError:
    """The typed error for a non-2xx answer to ``operation`` ("initiate" | "status").

    ``payload`` is the decoded JSON body (or its text, or None). Every HTTP status goes
    through here, so one table decides: 401/403 -> GatewayAuthError; 429 ->
    GatewayUnavailable(rate_limited); 5xx -> GatewayUnavailable, nothing debited (504, a
    proxy that gave up waiting, leaves the outcome unknown); 404 -> network not enabled
    (initiate) or unknown reference (status); other 4xx -> GatewayDeclined with a code
    from the provider's words, or GatewayAuthError / GatewayUnavailable when those words
    say it is our configuration or an outage."""
    text = provider_text(payload)
    shown = scrub(text) or f"HTTP {status}"
    message = f"FeexPay: {shown}"
    code = reason_code(text, default=None)
    if isinstance(payload, dict) and code is None:
        code = _STATUS_CODES.get(str(payload.get("statusCode", "")))
    kw = {"http_status": status}
    if status in (401, 403):
        return GatewayAuthError(message, code=code if code in AUTH_CODES
                                else "gateway_auth_failed", **kw)
    if status == 429:
        return GatewayUnavailable(message, code="rate_limited", retryable=True, **kw)
    if status >= 500:
        # providers.md 1.9: 502 = operator unreachable, 503 = maintenance.
        server_code = {502: "operator_unavailable", 503: "provider_maintenance",
                       504: "provider_timeout"}.get(status, "provider_error")
        return GatewayUnavailable(message, code=server_code, retryable=True,
                                  outcome_unknown=status == 504, **kw)
    if not 400 <= status < 500:
        # Redirects are not followed (http.py) and nothing else is an API answer; the
        # request was not processed as a payment.
        return GatewayUnavailable(f"FeexPay: unexpected HTTP {status}",
                                  code="invalid_response", **kw)
    if status == 404 and code not in AUTH_CODES:
        code = "unknown_reference" if operation == "status" else "network_not_enabled"
    if code in AUTH_CODES:
        return GatewayAuthError(message, code=code, **kw)
    if code in UNAVAILABLE_CODES:
        return GatewayUnavailable(message, code=code, retryable=True, **kw)
    if code is None:
        code = "duplicate" if status == 409 else "declined"
    # unknown_reference is not a payment outcome: see FeexPay.fetch_status.
    return GatewayDeclined(message, code=code, retryable=code == "unknown_reference", **kw)
