"""Chapa v1's wire formats (providers.md 2.2-2.6, 2.9): the bodies we send and what we
read back from initialize, verify, refund and webhook answers. Pure functions."""
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from checkout.core.money import MoneyError, exponent
from checkout.gateways.base import GatewayResult, PaymentRequest

from .errors import scrub

CURRENCIES = ("ETB", "USD")
# Our tx_ref charset and length (providers.md 2.2: Chapa's own limits are UNCONFIRMED,
# "keep <= 50, [A-Za-z0-9._-]"). Starting with an alphanumeric keeps "." and ".." out of
# the verify and refund URL paths.
TX_REF_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")
# Chapa's hosted page rejects long titles and punctuation in customization fields (seen
# by integrators, UNCONFIRMED): letters, digits, spaces, dots, hyphens and underscores.
TITLE_MAX, DESCRIPTION_MAX, NAME_MAX = 16, 50, 50
DEFAULT_TITLE = "Payment"
_MAX_MAJOR = Decimal(10) ** 12

# data.status -> ours. refunded/reversed: the payment did succeed (refunds are tracked
# on their own); anything unknown stays pending (ask again).
PAYMENT_STATUS = {"success": "succeeded", "successful": "succeeded", "pending": "pending",
                  "failed": "failed", "cancelled": "failed", "canceled": "failed",
                  "refunded": "succeeded", "reversed": "succeeded"}
REFUNDED = ("refunded", "reversed")
_FAILURE_CODE = {"cancelled": "canceled", "canceled": "canceled", "failed": "declined"}


def tx_ref_for(payment_id: str) -> str:
    """Our ``tx_ref`` for a payment: its id when that is a valid reference (``pay_…``:
    one payment = one attempt = one tx_ref), else a stable cleaned form with a hash of
    the id, so the same payment always gets the same tx_ref."""
    payment_id = str(payment_id)
    if TX_REF_RE.fullmatch(payment_id):
        return payment_id
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", payment_id).strip("._-")[:37] or "pay"
    return f"{cleaned}-{hashlib.sha256(payment_id.encode()).hexdigest()[:12]}"


def valid_tx_ref(value: object) -> str | None:
    """A tx_ref as a clean string, or None if it cannot be one of ours."""
    if isinstance(value, str) and TX_REF_RE.fullmatch(value.strip()):
        return value.strip()
    return None


def major_amount(amount: int, currency: str) -> str:
    """Minor units -> Chapa's major-unit decimal string: 1050 ETB -> "10.50"."""
    exp = exponent(currency)
    return str((Decimal(amount).scaleb(-exp)).quantize(Decimal(1).scaleb(-exp)))


def minor_amount(value: object, currency: str | None) -> int:
    """A reported major-unit amount (a number, read as Decimal, or a numeric string) ->
    minor units. Raises ValueError for anything that is not an exact amount."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise ValueError(f"amount {scrub(value, 40)!r} is not a number")
    try:
        exp = exponent(currency)
        number = Decimal(str(value).strip())
    except (InvalidOperation, MoneyError):
        raise ValueError(f"amount {scrub(value, 40)!r} in {scrub(currency, 8)!r} "
                         "is not readable") from None
    if not number.is_finite() or number < 0 or number >= _MAX_MAJOR:
        raise ValueError(f"amount {scrub(value, 40)!r} is out of range")
    minor = number.scaleb(exp)
    if minor != minor.to_integral_value():
        raise ValueError(f"amount {scrub(value, 40)!r} has more than {exp} decimals")
    return int(minor)


def plain_text(text: object, limit: int) -> str:
    """Text Chapa's customization accepts: accents dropped, anything but letters, digits,
    spaces, ``.``, ``_`` and ``-`` made a space, cut at a word within ``limit``."""
    text = unicodedata.normalize("NFKD", str(text or "")[:1000])
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = " ".join(re.sub(r"[^A-Za-z0-9 ._-]+", " ", text).split())
    if len(text) > limit:
        cut = text[:limit + 1]
        text = cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut[:limit]
    return text.strip(" ._-")


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """``"Abebe Bikila Tesfaye"`` -> ``("Abebe Bikila", "Tesfaye")``; one word -> (word, None)."""
    words = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", str(name or "")).split())
    if not words:
        return None, None
    first, _, last = words.rpartition(" ")
    return (first[:NAME_MAX], last[:NAME_MAX]) if first else (last[:NAME_MAX], None)


def initialize_body(request: PaymentRequest, tx_ref: str, callback_url: str,
                    title: str | None) -> dict[str, Any]:
    """The JSON body of ``POST /v1/transaction/initialize`` (2.2), flat bracketed keys."""
    body: dict[str, Any] = {
        "amount": major_amount(request.amount, request.currency),
        "currency": request.currency,
        "tx_ref": tx_ref,
        "callback_url": callback_url,      # Chapa GETs it (2.3); confirmed by verify
        "return_url": request.return_url,  # the shopper's browser comes back here
        "customization[title]": plain_text(title, TITLE_MAX) or DEFAULT_TITLE,
    }
    description = plain_text(request.description, DESCRIPTION_MAX)
    if description:
        body["customization[description]"] = description
    email = (request.customer_email or "").strip()
    if email and "@" in email and len(email) <= 254 and email.isprintable():
        body["email"] = email
    first, last = split_name(request.customer_name)
    if first:
        body["first_name"] = first
    if last:
        body["last_name"] = last
    return body


def decode(content: bytes) -> Any:
    """A JSON answer with numbers read as Decimal (never float); None if not JSON."""
    try:
        return json.loads(content, parse_float=Decimal)
    except (ValueError, RecursionError):
        return None


def checkout_url(payload: object, livemode: bool) -> str | None:
    """``data.checkout_url`` if it is a page we may send a shopper to (https; plain http
    only in test mode, where the simulator serves it)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    url = data.get("checkout_url") if isinstance(data, dict) else None
    if not isinstance(url, str) or len(url) > 2000:
        return None
    parts = urlsplit(url.strip())
    schemes = ("https",) if livemode else ("https", "http")
    return url.strip() if parts.scheme in schemes and parts.netloc else None


def word(value: object, limit: int = 40) -> str:
    """A provider keyword lower-cased and trimmed ("" if it is not a string)."""
    return value.strip().lower()[:limit] if isinstance(value, str) else ""


def mode_matches(value: object, livemode: bool) -> bool:
    """Whether Chapa's ``mode`` ("test" | "live") is the account's mode."""
    return word(value) == ("live" if livemode else "test")


def status_raw(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields worth keeping in the payment's timeline: no names, email or phone."""
    raw = {}
    for key in ("tx_ref", "reference", "status", "mode", "method", "payment_method", "type",
                "currency", "amount", "charge", "event", "created_at", "updated_at"):
        value = data.get(key)
        if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
            raw[key] = scrub(value, 64)
    return raw


def status_result(tx_ref: str, data: Mapping[str, Any], amount: int | None,
                  currency: str | None) -> GatewayResult:
    """Our result for a verify answer's ``data`` (or a webhook body) whose amount is parsed."""
    reported = word(data.get("status"))
    status = PAYMENT_STATUS.get(reported, "pending")
    code = message = None
    if status == "failed":
        code = _FAILURE_CODE.get(reported, "declined")
        message = f"Chapa: the payment was {reported}"
    # Chapa's own reference (its receipt page's id, the list's ``ref_id``) is kept as the
    # payment's receipt: the daily comparison with Chapa's list finds the payment by it.
    receipt = valid_tx_ref(data.get("reference"))
    return GatewayResult(status=status, provider_reference=tx_ref, amount=amount,
                         currency=currency, failure_code=code, failure_message=message,
                         raw=status_raw(data), receipt=receipt)


def currency_of(data: Mapping[str, Any]) -> str | None:
    """The reported currency, upper-cased, if it is one Chapa takes."""
    currency = word(data.get("currency"), 8).upper()
    return currency if currency in CURRENCIES else None
