"""Paystack's wire formats (providers.md 3.2-3.7): the bodies we send and what we read
back from initialize, charge, verify, refund and webhook answers. Pure functions."""
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from checkout.core.money import MoneyError, exponent
from checkout.gateways.base import GatewayResult, NextAction, PaymentRequest, RefundUpdate
from checkout.gateways.errors import (
    GatewayDeclined,
    GatewayUnavailable,
    WebhookVerificationError,
)

from .errors import error_for, provider_text, reason_code, scrub

# 3.7: only alphanumerics and - . = ; max length UNCONFIRMED (ours are 28 characters).
REFERENCE_RE = re.compile(r"[A-Za-z0-9.=-]{1,100}")
PAYMENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}")
# Charge states that wait for the shopper's phone (3.4). Every verify status but
# success, reversed, failed and (old) abandoned is transient (3.3): pending, ask again.
APPROVE_ON_PHONE = frozenset({"pay_offline", "pending", "ongoing", "processing", "queued"})
_MAX_AMOUNT = 10 ** 15


def reference_for(payment_id: str) -> str:
    """Our Paystack reference for a payment id, one-to-one: ``pay_Ab1`` -> ``pay-Ab1``
    (``_`` -> ``-``; any other character outside ``[A-Za-z0-9.]`` as ``=XX`` hex)."""
    out = []
    for ch in str(payment_id):
        if ch == "_":
            out.append("-")
        elif ch.isascii() and (ch.isalnum() or ch == "."):
            out.append(ch)
        else:
            out.extend(f"={b:02X}" for b in ch.encode())
    return "".join(out)


def valid_reference(value: object) -> str | None:
    """A Paystack reference as a clean string, or None if it cannot be one."""
    if isinstance(value, str) and REFERENCE_RE.fullmatch(value.strip()):
        return value.strip()
    return None


def to_subunits(amount: int, currency: str) -> int:
    """Our minor units -> Paystack's subunits (1/100 of the major unit, 3.2). XOF has no
    minor unit, so francs are sent x100 (UNCONFIRMED: providers.md 8)."""
    return amount * 10 ** (2 - exponent(currency))


def from_subunits(value: object, currency: str | None) -> int | None:
    """A reported amount (number or numeric string: refund events send "10000") in our
    minor units; None if absent. Raises ValueError when it is not a whole number of
    our minor units or the currency is unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)) \
            or len(str(value)) > 32:
        raise ValueError("amount is not a number")
    try:
        number = Decimal(str(value).strip())
        scale = 10 ** (2 - exponent(currency))
    except (InvalidOperation, MoneyError):
        raise ValueError(f"amount {scrub(value)!r} in {currency!r} cannot be read") from None
    if not number.is_finite() or abs(number) >= _MAX_AMOUNT or number % scale:
        raise ValueError(f"amount {scrub(value)!r} is not whole minor units")
    return int(number / scale)


def momo_phone(e164: str | None, country: str) -> str:
    """The ``mobile_money.phone`` Paystack wants (3.4): Ghana in local format
    (``0551234987``), Kenya as ``+2547...``. Raises GatewayDeclined("invalid_phone")."""
    digits = (e164 or "").strip().removeprefix("+")
    calling = {"GH": "233", "KE": "254"}[country]
    national = digits[len(calling):]
    if not (digits.isascii() and digits.isdigit() and digits.startswith(calling)
            and len(national) == 9 and national[0] != "0"):
        raise GatewayDeclined(f"Paystack needs a mobile number of {country} (+{calling}).",
                              code="invalid_phone")
    return "0" + national if country == "GH" else "+" + digits


def email_of(request: PaymentRequest) -> str:
    """The shopper's email (required by every Paystack call, 3.2/3.4). Raises
    GatewayDeclined("invalid_email") when missing or not an address."""
    email = (request.customer_email or "").strip()
    if not EMAIL_RE.fullmatch(email):
        raise GatewayDeclined("Paystack needs the shopper's email address.",
                              code="invalid_email")
    return email


def initialize_body(request: PaymentRequest, reference: str, email: str,
                    channels: list[str]) -> dict[str, Any]:
    """The body of ``POST /transaction/initialize`` (3.2)."""
    return {"email": email, "amount": to_subunits(request.amount, request.currency),
            "currency": request.currency, "reference": reference,
            "callback_url": request.return_url, "channels": list(channels),
            "metadata": {"payment_id": request.payment_id,
                         "cancel_action": request.cancel_url}}


def charge_body(request: PaymentRequest, reference: str, email: str, provider: str,
                country: str) -> dict[str, Any]:
    """The body of ``POST /charge`` for mobile money (3.4)."""
    return {"email": email, "amount": to_subunits(request.amount, request.currency),
            "currency": request.currency, "reference": reference,
            "mobile_money": {"phone": momo_phone(request.phone, country),
                             "provider": provider},
            "metadata": {"payment_id": request.payment_id}}


def data_of(payload: object) -> dict[str, Any] | None:
    """``data`` of a ``{status, message, data}`` answer, when it is an object."""
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        return payload["data"]
    return None


def redirect_url(value: object, livemode: bool) -> str | None:
    """``authorization_url`` if it is a web address we may send a shopper to (https;
    plain http only in test mode, where the simulator serves it)."""
    if not isinstance(value, str) or len(value) > 2000:
        return None
    parts = urlsplit(value.strip())
    schemes = ("https",) if livemode else ("https", "http")
    return value.strip() if parts.scheme in schemes and parts.netloc else None


def status_word(data: Mapping[str, Any]) -> str:
    value = data.get("status")
    return value.strip().lower()[:40] if isinstance(value, str) else ""


def display_text(data: Mapping[str, Any]) -> str | None:
    text = data.get("display_text")
    return scrub(text, 300) if isinstance(text, str) and text.strip() else None


def failure_of(data: Mapping[str, Any], payload: object = None) -> tuple[str, str]:
    """(code, message) of a failed transaction or charge: ``gateway_response`` first,
    then ``data.message``, then the answer's ``message``."""
    words = [data.get(k) for k in ("gateway_response", "message")]
    if isinstance(payload, dict):
        words.append(payload.get("message"))
    words = [w.strip() for w in words if isinstance(w, str) and w.strip()]
    return (reason_code(" | ".join(words)),
            scrub(words[0]) if words else "Paystack gave no reason")


def charge_action(data: Mapping[str, Any]) -> NextAction | None:
    """The shopper's next step for a charge state (3.4), or None when the state is final
    (success, failed) or one we cannot serve (send_pin, open_url...)."""
    word = status_word(data)
    if word == "send_otp":
        return NextAction(type="otp", message=display_text(data))
    if word in APPROVE_ON_PHONE or word == "success":
        return NextAction(type="approve_on_phone", message=display_text(data))
    return None


def check_domain(livemode: bool, data: Mapping[str, Any]) -> None:
    """Raise WebhookVerificationError unless Paystack's ``domain`` (test|live) is the
    account's mode (3.3, 3.5)."""
    expected = "live" if livemode else "test"
    if data.get("domain") != expected:
        raise WebhookVerificationError(f"Paystack {scrub(data.get('domain'), 20)!r} answer "
                                       f"for a {expected} account", code="mode_mismatch")


def wrong_otp(reference: str, message: str, code: str = "invalid_otp",
              data: Mapping[str, Any] | None = None) -> GatewayResult:
    """Pending, asking for the OTP again: the code was wrong or malformed."""
    return GatewayResult(status="pending", provider_reference=reference,
                         failure_code=code, failure_message=message,
                         next_action=NextAction(type="otp", message=display_text(data or {})),
                         raw={"reference": reference, "status": "send_otp"})


def charge_result(reference: str, payload: object, status: int,
                  operation: str) -> GatewayResult:
    """Map a ``/charge`` or ``/charge/submit_otp`` answer (2xx, or a 4xx carrying a
    charge state) onto a pending result with the shopper's next action (3.4).
    ``success`` is never believed (reported pending: the first poll decides). Raises
    GatewayDeclined for ``failed`` (code from Paystack's words) and for a step we cannot
    serve (send_pin, open_url...), GatewayUnavailable for an answer about another
    reference, and the error_for error of any other non-2xx answer."""
    data = data_of(payload) or {}
    word = status_word(data)
    if data.get("reference") not in (None, reference):
        raise GatewayUnavailable("Paystack answered about another reference",
                                 code="invalid_response", outcome_unknown=True)
    text = provider_text(payload)
    if word == "failed":
        code, message = failure_of(data, payload)
        raise GatewayDeclined(f"Paystack: {message}", code=code, http_status=status)
    if operation == "submit_step" and (word == "send_otp" or not 200 <= status < 300) \
            and reason_code(text, None) in ("invalid_otp", "too_many_attempts"):
        return wrong_otp(reference, scrub(text), reason_code(text), data)
    if not 200 <= status < 300:
        raise error_for(status, payload, operation)
    action = charge_action(data)
    if action is None:
        raise GatewayDeclined(f"Paystack asked for an unsupported step {word!r}",
                              code="unsupported_step", http_status=status)
    raw = {"reference": reference, "status": word, "message": scrub(text, 120)}
    return GatewayResult(status="pending", provider_reference=reference, next_action=action,
                         raw={k: v for k, v in raw.items() if v})


def is_young(data: Mapping[str, Any], seconds: int, now: datetime | None = None) -> bool:
    """Whether the transaction was created less than ``seconds`` ago (or its age cannot
    be told: then it is treated as young, so that nothing is failed on a guess)."""
    raw = data.get("created_at") or data.get("createdAt")
    try:
        created = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return True
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - created).total_seconds() < seconds


def verify_raw(data: Mapping[str, Any]) -> dict[str, Any]:
    """What to keep in the timeline from a verify answer or webhook: no customer data."""
    raw = {k: scrub(data[k], 100) for k in (
        "reference", "status", "gateway_response", "channel", "currency", "domain",
        "paid_at", "created_at") if isinstance(data.get(k), str)}
    for key in ("id", "amount"):
        if isinstance(data.get(key), (int, str)) and not isinstance(data.get(key), bool):
            raw[key] = scrub(data[key], 32)
    return raw


def verify_result(reference: str, data: Mapping[str, Any], abandoned_after: int,
                  now: datetime | None = None) -> GatewayResult:
    """A GatewayResult from verify data (3.3): success/reversed -> succeeded (a reversal
    is a refund, tracked by the refund), failed -> failed, abandoned -> failed only once
    older than ``abandoned_after`` seconds (Paystack says abandoned for a checkout the
    shopper has not finished yet), anything else -> pending. Raises ValueError when the
    amount of a success cannot be read."""
    word = status_word(data)
    currency = data.get("currency")
    currency = currency.strip().upper() if isinstance(currency, str) else None
    raw = verify_raw(data)
    if word in ("success", "reversed"):
        amount = from_subunits(data.get("amount"), currency)
        if amount is None:
            raise ValueError("success without an amount")
        return GatewayResult(status="succeeded", provider_reference=reference,
                             amount=amount, currency=currency, raw=raw)
    if word == "failed" or (word == "abandoned" and not is_young(data, abandoned_after, now)):
        code, message = failure_of(data)
        if word == "abandoned":
            code, message = "abandoned", "The shopper did not complete the payment."
        return GatewayResult(status="failed", provider_reference=reference,
                             currency=currency, failure_code=code, failure_message=message,
                             raw=raw)
    return GatewayResult(status="pending", provider_reference=reference, raw=raw)


def refund_status(word: str) -> str:
    """Our refund status for Paystack's (3.6 and refund events): processed ->
    succeeded, failed -> failed, anything else (pending, processing, needs-attention)
    -> pending."""
    return {"processed": "succeeded", "failed": "failed"}.get(word, "pending")


def refund_update(data: Mapping[str, Any]) -> RefundUpdate:
    """A RefundUpdate from a ``refund.*`` event's data (3.5). Raises ValueError when the
    transaction reference or the amount cannot be read."""
    payment_reference = valid_reference(data.get("transaction_reference"))
    if payment_reference is None:
        raise ValueError("refund event without a transaction reference")
    currency = data.get("currency")
    currency = currency.strip().upper() if isinstance(currency, str) else None
    own = data.get("id") if data.get("id") not in (None, "") else data.get("refund_reference")
    own = str(own).strip() if isinstance(own, (str, int)) and not isinstance(own, bool) else ""
    own = own if re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", own) else None
    status = refund_status(status_word(data))
    message = None
    if status == "failed":
        message = failure_of(data)[1] if data.get("gateway_response") or \
            data.get("message") else "Paystack could not process the refund."
    return RefundUpdate(status=status, provider_reference=own or None,
                        payment_reference=payment_reference,
                        amount=from_subunits(data.get("amount"), currency),
                        currency=currency, failure_message=message)
