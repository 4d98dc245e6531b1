"""FeexPay's wire formats (providers.md 1.2, 1.3, 1.7, 1.8): the request-to-pay body we
send and what we read back from init, status and webhook answers. Pure functions."""
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

from checkout.core.phones import mask_phone
from checkout.gateways.base import GatewayResult, PaymentRequest
from checkout.gateways.errors import GatewayDeclined

from .errors import reason_code, scrub

DESCRIPTION_MAX = 100
DEFAULT_DESCRIPTION = "Payment"
NAME_MAX = 50
# FeexPay references: UUIDs, or "AG_YYYYMMDD_..." for Celtiis (1.2). Starting with an
# alphanumeric keeps "." / ".." out of the status URL path.
REFERENCE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
# Characters that NFKD does not decompose into a base letter plus accents.
_LETTERS = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o",
                          "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i",
                          "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th"})
_MAX_AMOUNT = Decimal(10) ** 12

STATUS_SUCCEEDED, STATUS_FAILED = "SUCCESSFUL", "FAILED"


def sanitize_description(text: str | None) -> str:
    """The description every network accepts (1.2: MTN rejects even a hyphen): accents
    transliterated, anything but ``[a-zA-Z0-9 ]`` made a space, spaces collapsed,
    at most DESCRIPTION_MAX characters; DEFAULT_DESCRIPTION if nothing is left."""
    text = unicodedata.normalize("NFKD", str(text or "")[:1000].translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = " ".join(re.sub(r"[^a-zA-Z0-9 ]+", " ", text).split())
    if len(text) > DESCRIPTION_MAX:
        cut = text[:DESCRIPTION_MAX + 1]
        text = cut.rsplit(" ", 1)[0] if " " in cut[DESCRIPTION_MAX // 2:] else cut
        text = text[:DESCRIPTION_MAX].rstrip()
    return text or DEFAULT_DESCRIPTION


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """``"Awa Marie Diop"`` -> ``("Awa Marie", "Diop")``; one word -> ``(word, None)``."""
    words = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", str(name or "")).split())
    if not words:
        return None, None
    first, _, last = words.rpartition(" ")
    if not first:
        return last[:NAME_MAX], None
    return first[:NAME_MAX], last[:NAME_MAX]


def phone_digits(e164: str | None, country: str) -> str:
    """The v2 ``phoneNumber`` (1.8): digits only, country code first, no ``+``. Raises
    GatewayDeclined("invalid_phone") for a missing number or one of another country."""
    digits = (e164 or "").strip().removeprefix("+")
    calling = str(phonenumbers.country_code_for_region(country))
    if not (digits.isdigit() and digits.isascii() and 8 <= len(digits) <= 15
            and digits.startswith(calling)):
        raise GatewayDeclined(f"FeexPay needs a mobile number of {country} (+{calling}).",
                              code="invalid_phone")
    return digits


def payin_body(shop: str, request: PaymentRequest, country: str) -> dict[str, Any]:
    """The JSON body of ``POST /api/transactions/public/requesttopay/{network}``."""
    body = {
        "shop": shop,
        "amount": request.amount,        # XOF/XAF: our minor units are whole francs
        "phoneNumber": phone_digits(request.phone, country),
        "description": sanitize_description(request.description),
        # Echoed back in status and webhook: how a notification finds our attempt.
        "callback_info": request.payment_id,
        "return_url": request.return_url,
        "cancel_url": request.cancel_url,
    }
    first, last = split_name(request.customer_name)
    if first:
        body["first_name"] = first
    if last:
        body["last_name"] = last
    if request.customer_email:
        body["email"] = str(request.customer_email)[:254]
    return body


def unwrap(payload: object) -> dict[str, Any] | None:
    """The transaction object of an answer, inside ``{data: {...}}`` or not (1.3)."""
    if not isinstance(payload, dict):
        return None
    inner = payload.get("data")
    if isinstance(inner, list) and len(inner) == 1:
        inner = inner[0]
    if isinstance(inner, dict) and ("status" in inner or "reference" in inner):
        return inner
    return payload


def valid_reference(value: object) -> str | None:
    """A FeexPay reference as a clean string, or None if it cannot be one."""
    if isinstance(value, str) and REFERENCE_RE.fullmatch(value.strip()):
        return value.strip()
    return None


def redirect_url(data: Mapping[str, Any], livemode: bool) -> str | None:
    """``payment_url`` (Wave/Orange, 1.2) if it is a web address we may send a shopper
    to (https; plain http only in test mode, where the simulator serves it)."""
    url = data.get("payment_url")
    if not isinstance(url, str) or len(url) > 2000:
        return None
    parts = urlsplit(url.strip())
    schemes = ("https",) if livemode else ("https", "http")
    return url.strip() if parts.scheme in schemes and parts.netloc else None


def parse_amount(value: object) -> int | None:
    """A reported amount (number or numeric string, 1.3) as an int of whole francs; None
    if absent. Raises ValueError for anything non-numeric or non-integral."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("amount is a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, (Decimal, str)) and len(str(value)) <= 32:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"amount {scrub(value)!r} is not a number") from None
        if number.is_finite() and abs(number) < _MAX_AMOUNT and number == number.to_integral():
            return int(number)
    raise ValueError(f"amount {scrub(value)!r} is not a whole number of francs")


def _upper(value):
    return " ".join(str(value).upper().split()) if isinstance(value, (str, int)) else ""


def status_of(data: Mapping[str, Any]) -> str:
    """Our status for a FeexPay transaction (1.3). SUCCESSFUL -> succeeded, FAILED ->
    failed, and failed too when the operator already declined (operator_status DECLINED,
    responsecode/responsemsg FAILED) while ``status`` lags; everything else, including
    PENDING and "IN PENDING STATE", is pending. A SUCCESSFUL that the operator fields
    contradict is left pending: neither paid nor failed can be trusted, ask again."""
    status = _upper(data.get("status"))
    operator_failed = (_upper(data.get("operator_status")) == "DECLINED"
                       or _upper(data.get("responsecode")) == STATUS_FAILED
                       or _upper(data.get("responsemsg")) == STATUS_FAILED)
    if status == STATUS_SUCCEEDED:
        return "pending" if operator_failed else "succeeded"
    if status == STATUS_FAILED or operator_failed:
        return "failed"
    return "pending"


def _short(value, limit=100):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    return scrub(value, limit) if isinstance(value, (str, Decimal, float)) else None


def status_raw(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields worth keeping in the payment's timeline; the phone only masked, no
    names or email."""
    raw = {key: _short(data.get(key)) for key in (
        "reference", "status", "reason", "operator_status", "responsecode", "responsemsg",
        "mode", "callback_info", "operator_id", "transref", "date") if data.get(key) is not None}
    if data.get("amount") is not None:
        raw["amount"] = _short(data.get("amount"), 32)
    phone = data.get("phoneNumber")
    if isinstance(phone, (str, int)) and not isinstance(phone, bool) and str(phone).strip():
        raw["phone"] = mask_phone("+" + str(phone).strip().removeprefix("+"))
    return raw


def failure_of(data: Mapping[str, Any]) -> tuple[str | None, str]:
    """(code, message) of a failed transaction, from ``reason`` first (1.3, 1.9)."""
    words = [str(data.get(k)) for k in ("reason", "responsemsg", "operator_status",
                                        "responsecode", "message")
             if isinstance(data.get(k), (str, int)) and str(data.get(k)).strip()]
    text = " | ".join(words)
    return reason_code(text), scrub(words[0]) if words else "FeexPay gave no reason"


def status_result(reference: str, data: Mapping[str, Any], amount: int | None,
                  currency: str | None) -> GatewayResult:
    """A GatewayResult from an unwrapped status answer whose amount is already parsed."""
    status = status_of(data)
    code = message = None
    if status == "failed":
        code, message = failure_of(data)
    return GatewayResult(status=status, provider_reference=reference, amount=amount,
                         currency=currency, failure_code=code, failure_message=message,
                         raw=status_raw(data))
