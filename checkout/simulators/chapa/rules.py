"""Chapa simulator: configuration, refusals and request validation.

Written from docs/providers.md section 2 only; nothing here is shared with the product's
adapter.
"""
from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from checkout.simulators._runtime import env_float

CURRENCIES = ("ETB", "USD")
# Chapa's documented test cards (any expiry, any CVV).
TEST_CARDS = frozenset({"4200000000000000", "4242424242424242"})
TX_REF_RE = re.compile(r"[A-Za-z0-9._-]{1,50}")      # providers.md 2.2 (kept conservative)
_AMOUNT_RE = re.compile(r"\d{1,12}(\.\d{1,2})?")
_PHONE_RE = re.compile(r"0[79]\d{8}")
_BRACKET = re.compile(r"(customization|meta)\[([A-Za-z0-9_]{1,40})\]")
REQUIRED_MESSAGE = 'Required Attribute: ["validation.required"]'


@dataclasses.dataclass(frozen=True)
class ChapaConfig:
    delay_seconds: float = 3.0           # outcome -> first webhook; refund -> done
    time_factor: float = 1.0             # scales the 10-minute webhook retry interval
    webhook_retry_interval_seconds: float = 600.0
    webhook_max_attempts: int = 10       # providers.md 2.5: every 10 min, up to 10 attempts
    webhook_timeout_seconds: float = 5.0
    public_url: str | None = None
    accounts: dict[str, dict] = dataclasses.field(default_factory=dict)

    @property
    def retry_seconds(self) -> float:
        return self.webhook_retry_interval_seconds * self.time_factor


# Keys a caller may set once at the top level for every simulator.
SHARED_KEYS = ("delay_seconds", "webhook_timeout_seconds", "public_url")
_ENV = {"delay_seconds": "SIM_CHAPA_DELAY", "time_factor": "SIM_CHAPA_TIME_FACTOR"}


def load_config(config: dict | None) -> ChapaConfig:
    """Merge ``config["chapa"]`` over shared top-level keys over env vars
    (``SIM_CHAPA_DELAY``, ``SIM_CHAPA_TIME_FACTOR``) over defaults. Raises ValueError on
    an unknown key of the ``chapa`` section or a value out of range."""
    config = config or {}
    section = dict(config.get("chapa") or {})
    unknown = set(section) - {f.name for f in dataclasses.fields(ChapaConfig)}
    if unknown:
        raise ValueError(f"unknown chapa simulator config keys: {sorted(unknown)}")
    merged: dict[str, Any] = {k: config[k] for k in SHARED_KEYS if k in config}
    merged.update(section)
    for key, var in _ENV.items():
        if key not in merged and (value := env_float(var)) is not None:
            merged[key] = value
    cfg = ChapaConfig(**merged)
    if cfg.delay_seconds < 0 or cfg.time_factor <= 0 or cfg.webhook_max_attempts < 1:
        raise ValueError("chapa simulator: delay_seconds >= 0, time_factor > 0 and "
                         "webhook_max_attempts >= 1 are required")
    return cfg


class ApiError(Exception):
    """A refusal answered as Chapa does: ``{"message", "status": "failed", "data": null}``
    (``message`` a sentence, or field -> messages for validation errors)."""

    def __init__(self, status: int, message: str | dict) -> None:
        super().__init__(str(message))
        self.status, self.message = status, message

    def body(self) -> dict:
        return {"message": self.message, "status": "failed", "data": None}


def read_body(mimetype: str, raw: bytes, form: dict) -> dict:
    """The request's fields from JSON or a form (2.2 accepts both); bracketed keys
    (``customization[title]``) gathered into objects. Raises ApiError(400)."""
    if mimetype == "application/json":
        try:
            body = json.loads(raw or b"null", parse_float=Decimal)
        except (ValueError, RecursionError):
            raise ApiError(400, "Invalid JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON body")
    elif mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        body = dict(form)
    else:
        raise ApiError(400, "Content-Type must be application/json or a form")
    out: dict[str, Any] = {}
    for key, value in body.items():
        if (m := _BRACKET.fullmatch(str(key))) is not None:
            out.setdefault(m.group(1), {})[m.group(2)] = value
        elif key in ("customization", "meta") and isinstance(value, dict):
            out.setdefault(key, {}).update(value)
        else:
            out[key] = value
    return out


def parse_amount(value: Any, field: str = "amount") -> Decimal:
    """A positive major-unit amount with at most 2 decimals (string or number)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)) \
            or not _AMOUNT_RE.fullmatch(str(value).strip()):
        raise ApiError(400, {field: [f"The {field} must be a positive number with at most "
                                     "2 decimals."]})
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ApiError(400, {field: [f"The {field} is invalid."]}) from None
    if amount <= 0:
        raise ApiError(400, {field: [f"The {field} must be greater than zero."]})
    return amount.quantize(Decimal("0.01"))


def _url(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ApiError(400, {field: [f"The {field} must be a valid URL."]})
    return value


def validate_initialize(body: dict) -> dict:
    """The fields of a valid ``POST /v1/transaction/initialize``; raises ApiError(400)."""
    if any(body.get(k) in (None, "") for k in ("amount", "currency", "tx_ref")):
        raise ApiError(400, REQUIRED_MESSAGE)
    amount = parse_amount(body["amount"])
    if body["currency"] not in CURRENCIES:
        raise ApiError(400, "Invalid currency, currency is not supported")
    tx_ref = body["tx_ref"]
    if not isinstance(tx_ref, str) or not TX_REF_RE.fullmatch(tx_ref):
        raise ApiError(400, {"tx_ref": ["The tx_ref may hold at most 50 letters, digits, "
                                        "dots, hyphens and underscores."]})
    for key in ("email", "first_name", "last_name", "phone_number"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError(400, {key: [f"The {key} must be a string."]})
    email = body.get("email") or None
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise ApiError(400, {"email": ["The email must be a valid email address."]})
    phone = body.get("phone_number") or None
    if phone is not None and not _PHONE_RE.fullmatch(phone):
        raise ApiError(400, {"phone_number": ["The phone number must be 10 digits, "
                                              "09xxxxxxxx or 07xxxxxxxx."]})
    customization = body.get("customization") or {}
    meta = body.get("meta") or {}
    if not isinstance(customization, dict) or not isinstance(meta, dict) or any(
            not isinstance(v, (str, type(None))) for v in customization.values()):
        raise ApiError(400, {"customization": ["customization and meta must be objects "
                                               "of strings."]})
    return {"amount": amount, "currency": body["currency"], "tx_ref": tx_ref,
            "email": email, "first_name": body.get("first_name") or None,
            "last_name": body.get("last_name") or None, "phone_number": phone,
            "callback_url": _url(body.get("callback_url"), "callback_url"),
            "return_url": _url(body.get("return_url"), "return_url"),
            "customization": {k: customization.get(k) for k in ("title", "description",
                                                                "logo")},
            "meta": {str(k): v for k, v in meta.items()},
            "amount_sent_as": type(body["amount"]).__name__}


def card_problem(number: str, expiry: str, cvv: str) -> str | None:
    """Why the payment page refuses a card ("succeed" only takes Chapa's test cards),
    or None. Looks at the values only: it keeps and logs none of them."""
    digits = "".join(number.split())
    if digits not in TEST_CARDS:
        return "This card was declined. In test mode use 4200 0000 0000 0000 or " \
               "4242 4242 4242 4242."
    if not re.fullmatch(r"(0[1-9]|1[0-2])\s*/\s*(\d{2}|\d{4})", expiry.strip()):
        return "Enter the expiry date as MM/YY."
    if not re.fullmatch(r"\d{3,4}", cvv.strip()):
        return "Enter the 3-digit security code."
    return None
