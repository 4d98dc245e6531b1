"""Paystack simulator: providers, test cards, configuration, magic-number scenarios and
request validation. Written from docs/providers.md section 3 only; nothing here is shared
with the product's adapter."""
from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from checkout.simulators._runtime import env_float

CURRENCIES = ("NGN", "GHS", "KES", "ZAR", "USD", "XOF")       # 3.2 (+ XOF for CI)
CHANNELS = ("card", "bank", "ussd", "qr", "eft", "mobile_money", "bank_transfer")
REFERENCE_RE = re.compile(r"[A-Za-z0-9.=-]+")                  # 3.7
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MAX_MAJOR = 10_000_000                                          # 3.7 "max 10,000,000"
VOUCHER = "123456"           # the one OTP / voucher the simulator accepts
MAX_OTP_FAILURES = 3

# Documented messages (providers.md 3.1-3.7, errors catalogue).
MALFORMED_AUTH = "Format is Authorization Bearer [secret key]"
INVALID_KEY = "Invalid key"
NOT_FOUND = "Transaction reference not found"
BAD_REFERENCE = "Invalid character in transaction reference"
DUPLICATE_INIT = "Duplicate Transaction Reference"
DUPLICATE_CHARGE = "Duplicate charge request for reference"
NO_INSTRUMENT = ("One of Authorization code, card object, bank object, ussd object, mobile "
                 "money object, qr object, or EFT object should be passed.")
BAD_TOKEN = "Provided registration token is invalid"
TOO_MANY = "Too many attempts. You have to wait for 10 minutes to try again"
FULLY_REVERSED = "Transaction has been fully reversed"


@dataclasses.dataclass(frozen=True)
class MomoProvider:
    code: str
    country: str
    currency: str
    phone_re: re.Pattern         # group 1: the national number
    label: str
    needs_otp: bool = False      # Vodafone / Telecel: send_otp first (3.4, 3.8)


_GH = re.compile(r"(?:0|\+?233)([235]\d{8})")
_KE = re.compile(r"(?:0|\+?254)([17]\d{8})")
PROVIDERS: dict[str, MomoProvider] = {p.code: p for p in (
    MomoProvider("mtn", "GH", "GHS", _GH, "MTN Mobile Money"),
    MomoProvider("atl", "GH", "GHS", _GH, "AirtelTigo Money"),
    MomoProvider("vod", "GH", "GHS", _GH, "Vodafone Cash", needs_otp=True),
    MomoProvider("mpesa", "KE", "KES", _KE, "M-Pesa"),
)}
APPROVE_TEXT = "Please complete authorization process on your mobile phone"
OTP_TEXT = "Please dial *110# to generate a voucher code. Then input the voucher"


@dataclasses.dataclass(frozen=True)
class SimCard:
    """A Paystack test card. Only the constants below are ever kept, never the input."""

    number: str
    cvv: str
    outcome: str                   # "success" | "failed"
    gateway_response: str
    pin: str | None = None
    otp: str | None = None
    bin: str = ""
    last4: str = ""
    brand: str = "visa"


TEST_CARDS: dict[str, SimCard] = {c.number: c for c in (
    # Paystack's published success card: PIN 0000, OTP 123456 (providers' test docs).
    SimCard("4084084084084081", "408", "success", "Successful", "0000", VOUCHER,
             "408408", "4081"),
    # Decline cards as integrators quote Paystack's test page (the page itself was not in
    # the stored sources: UNCONFIRMED).
    SimCard("4084080000005408", "001", "failed", "Declined", bin="408408", last4="5408"),
    SimCard("4084080000670037", "787", "failed", "Insufficient Funds", bin="408408",
             last4="0037"),
)}


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    outcome: str | None            # "success" | "failed" | None (never answers)
    gateway_response: str = "Approved"
    late: bool = False             # final after late_delay_seconds
    immediate: bool = False        # final at once (the charge answer already says it)
    webhooks: str = "normal"       # normal | none | early_and_twice
    init_http_error: int | None = None


SCENARIOS: dict[str, Scenario] = {   # the last two digits of the phone (README table)
    "01": Scenario("success", "success"),
    "02": Scenario("insufficient_funds", "failed", "Insufficient funds in the wallet"),
    "03": Scenario("declined_by_shopper", "failed", "Transaction declined by the customer"),
    "04": Scenario("no_answer", None),
    "05": Scenario("success_without_webhook", "success", webhooks="none"),
    "06": Scenario("upstream_502", None, init_http_error=502),
    "07": Scenario("late_success", "success", late=True),
    "08": Scenario("early_and_repeated_webhooks", "success", webhooks="early_and_twice"),
    "09": Scenario("immediate_success", "success", immediate=True),
}
DEFAULT_SCENARIO = Scenario("success", "success")
CARD_SCENARIO = Scenario("card", None)


def scenario_for(phone: str) -> Scenario:
    return SCENARIOS.get(phone[-2:], DEFAULT_SCENARIO)


@dataclasses.dataclass(frozen=True)
class PaystackConfig:
    delay_seconds: float = 3.0
    late_delay_seconds: float = 1860.0
    webhook_delay_seconds: float = 0.5       # 3.5: first webhook within 30 s
    webhook_timeout_seconds: float = 30.0    # 3.5: 30 s per attempt
    webhook_retries: int = 72                # 4 x 3 min, then hourly up to 72 h
    time_factor: float = 1.0                 # compresses the retry schedule (tests)
    refund_delay_seconds: float | None = None   # None: delay_seconds
    public_url: str | None = None
    accounts: dict[str, dict] = dataclasses.field(default_factory=dict)

    def retry_delays(self) -> list[float]:
        """Seconds before each retry of an undelivered webhook: 4 x 3 min, then hourly."""
        delays = [180.0] * 4 + [3600.0] * max(0, self.webhook_retries - 4)
        return [d * self.time_factor for d in delays[: self.webhook_retries]]

    @property
    def refund_delay(self) -> float:
        return self.delay_seconds if self.refund_delay_seconds is None \
            else self.refund_delay_seconds


SHARED_KEYS = ("delay_seconds", "late_delay_seconds", "webhook_timeout_seconds",
               "webhook_retries", "public_url")
_ENV = {"delay_seconds": "SIM_PAYSTACK_DELAY", "late_delay_seconds": "SIM_PAYSTACK_LATE_DELAY",
        "webhook_delay_seconds": "SIM_PAYSTACK_WEBHOOK_DELAY",
        "time_factor": "SIM_PAYSTACK_TIME_FACTOR"}


def load_config(config: dict | None) -> PaystackConfig:
    """Merge ``config["paystack"]`` over shared top-level keys over env vars over
    defaults. Raises ValueError on an unknown key of the ``paystack`` section or a first
    webhook later than Paystack's 30 s."""
    config = config or {}
    section = dict(config.get("paystack") or {})
    unknown = set(section) - {f.name for f in dataclasses.fields(PaystackConfig)}
    if unknown:
        raise ValueError(f"unknown paystack simulator config keys: {sorted(unknown)}")
    merged: dict[str, Any] = {k: config[k] for k in SHARED_KEYS if k in config}
    merged.update(section)
    for key, var in _ENV.items():
        if key not in merged and (value := env_float(var)) is not None:
            merged[key] = value
    cfg = PaystackConfig(**merged)
    if not 0 <= cfg.webhook_delay_seconds <= 30:
        raise ValueError("paystack webhook_delay_seconds must be within 0..30")
    return cfg


class ApiError(Exception):
    """A refusal answered as Paystack does: HTTP status + ``{status: false, message}``."""

    def __init__(self, status: int, message: str, data: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.data = status, message, data

    def body(self) -> dict:
        body: dict[str, Any] = {"status": False, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        return body


def parse_amount(value: object, required: bool = True) -> int | None:
    """A positive integer amount in subunits (numbers or digit strings, 3.2)."""
    if value is None and not required:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, "Amount must be an integer")
    if value <= 0:
        raise ApiError(400, "You must specify a valid amount")
    if value > MAX_MAJOR * 100:
        raise ApiError(400, "Transaction amount limit exceeded")
    return value


def parse_email(value: object, missing: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, missing)
    if not EMAIL_RE.fullmatch(value.strip()) or len(value) > 254:
        raise ApiError(400, "Invalid Email Address Passed")
    return value.strip()


def parse_reference(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 100 or not REFERENCE_RE.fullmatch(value):
        raise ApiError(400, BAD_REFERENCE)
    return value


def parse_currency(value: object, default: str) -> str:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value.upper() not in CURRENCIES:
        raise ApiError(400, "Currency not supported by merchant")
    return value.upper()


def parse_metadata(value: object) -> dict:
    """``metadata``: an object, or a JSON string of one (as many clients send it)."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError(400, "Invalid metadata: must be a JSON object") from None
    if not isinstance(value, dict):
        raise ApiError(400, "Invalid metadata: must be a JSON object")
    return value


def parse_channels(value: object) -> list[str]:
    if value is None:
        return list(CHANNELS)
    if not isinstance(value, list) or not value or any(c not in CHANNELS for c in value):
        raise ApiError(400, f"Invalid channels: use some of {', '.join(CHANNELS)}")
    return list(dict.fromkeys(value))


def parse_url(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")) \
            or len(value) > 2000:
        raise ApiError(400, f"Invalid {name}")
    return value


def momo_phone(provider: MomoProvider, value: object) -> str:
    """The national number of a valid phone of the provider's country (3.4)."""
    match = provider.phone_re.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ApiError(400, f"Invalid phone number for {provider.label}")
    return match.group(1)
