"""Daraja simulator: configuration, magic-number scenarios, Daraja's messages and the
validation of request fields. Written from docs/providers.md section 4 and Safaricom's
Reversal page only; nothing here is shared with the product's adapter."""
from __future__ import annotations

import base64
import dataclasses
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from checkout.simulators._runtime import env_float

EAT = timezone(timedelta(hours=3))
SANDBOX_SHORTCODE = "174379"
SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
PAYBILL, BUY_GOODS = "CustomerPayBillOnline", "CustomerBuyGoodsOnline"
MSISDN_RE = re.compile(r"254[17]\d{8}")
SHORTCODE_RE = re.compile(r"\d{5,7}")
RECEIPT_RE = re.compile(r"[A-Z0-9]{10}")
MAX_SHILLINGS = 250_000

# Error envelope codes and messages (4.2, 4.3, 4.5; Reversal page).
BAD_REQUEST, INVALID_TOKEN, BUSY = "400.002.02", "404.001.03", "500.001.1001"
SPIKE, INTERNAL = "500.003.02", "500.003.1001"
LOCKED = "Unable to lock subscriber, a transaction is already in process for the current " \
         "subscriber"
PROCESSING = "The transaction is being processed"
WRONG_CREDENTIALS = "Wrong credentials"

# ResultCode -> ResultDesc (4.4's official table; Reversal page for R0000xx).
RESULTS = {
    0: "The service request is processed successfully.",
    1: "The balance is insufficient for the transaction.",
    2: "Declined due to limit rule: less than the minimum transaction amount.",
    3: "Declined due to limit rule: greater than the maximum transaction amount.",
    17: "Rule limited.",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    2028: "The request is not permitted according to product assignment",
}
REVERSAL_RESULTS = {
    "0": "The service request is processed successfully.",
    "R000001": "The transaction has already been reversed.",
    "R000002": "The OriginalTransactionID is invalid.",
    "2001": "The initiator information is invalid.",
}


@dataclasses.dataclass(frozen=True)
class Scenario:
    """What the phone ending in ``name``'s two digits does (README magic numbers)."""

    name: str
    result_code: int | None        # None: the shopper never answers
    callbacks: int = 1             # how many times the callback is POSTed
    late: bool = False             # the outcome after late_delay_seconds
    immediate: bool = False        # the outcome at once (immediate_delay_seconds)
    push_error: bool = False       # the push itself fails: 500.003.1001


SCENARIOS: dict[str, Scenario] = {
    "01": Scenario("success", 0),
    "02": Scenario("insufficient_funds", 1),
    "03": Scenario("cancelled_by_user", 1032),
    "04": Scenario("no_answer", None),
    "05": Scenario("success_without_callback", 0, callbacks=0),
    "06": Scenario("push_internal_error", None, push_error=True),
    "07": Scenario("late_success", 0, late=True),
    "08": Scenario("callback_three_times", 0, callbacks=3),
    "09": Scenario("immediate_success", 0, immediate=True),
}
DEFAULT_SCENARIO = Scenario("success", 0)


def scenario_for(msisdn: str) -> Scenario:
    return SCENARIOS.get(msisdn[-2:], DEFAULT_SCENARIO)


@dataclasses.dataclass(frozen=True)
class DarajaConfig:
    delay_seconds: float = 3.0             # push accepted -> outcome (SIM_DARAJA_DELAY)
    late_delay_seconds: float = 1860.0     # 07 (SIM_DARAJA_LATE_DELAY)
    immediate_delay_seconds: float = 0.05  # 09
    callback_delay_seconds: float = 0.1    # outcome -> callback POST (Daraja: within 30 s)
    callback_timeout_seconds: float = 10.0
    callback_retries: int = 0              # Daraja documents no retry (UNCONFIRMED)
    repeat_interval_seconds: float = 0.2   # between the copies of 08's callback
    no_answer_seconds: float | None = None  # 04: None = never; else 1037 after this
    lock_seconds: float = 60.0             # "unable to lock subscriber" window per MSISDN
    repeat_seconds: float = 120.0          # ResultCode 17 window (same amount + MSISDN)
    reversal_delay_seconds: float | None = None   # None: delay_seconds
    token_seconds: int = 3599
    timestamp_skew_seconds: float = 3600.0  # how far Timestamp may be from now (EAT)
    sandbox_open: bool = True              # unknown consumer keys get a sandbox token
    accounts: dict[str, dict] = dataclasses.field(default_factory=dict)

    @property
    def reversal_delay(self) -> float:
        return self.delay_seconds if self.reversal_delay_seconds is None \
            else self.reversal_delay_seconds


SHARED_KEYS = ("delay_seconds", "late_delay_seconds")
_ENV = {"delay_seconds": "SIM_DARAJA_DELAY", "late_delay_seconds": "SIM_DARAJA_LATE_DELAY",
        "lock_seconds": "SIM_DARAJA_LOCK_SECONDS", "repeat_seconds": "SIM_DARAJA_REPEAT_SECONDS",
        "no_answer_seconds": "SIM_DARAJA_NO_ANSWER"}


def load_config(config: dict | None) -> DarajaConfig:
    """Merge ``config["mpesa_ke"]`` over shared top-level keys over env vars over
    defaults. Raises ValueError on an unknown key of the ``mpesa_ke`` section."""
    config = config or {}
    section = dict(config.get("mpesa_ke") or {})
    unknown = set(section) - {f.name for f in dataclasses.fields(DarajaConfig)}
    if unknown:
        raise ValueError(f"unknown mpesa_ke simulator config keys: {sorted(unknown)}")
    merged: dict[str, Any] = {k: config[k] for k in SHARED_KEYS if k in config}
    merged.update(section)
    for key, var in _ENV.items():
        if key not in merged and (value := env_float(var)) is not None:
            merged[key] = value
    return DarajaConfig(**merged)


class DarajaError(Exception):
    """A refusal in Daraja's envelope: HTTP status + {requestId, errorCode, errorMessage}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad(field: str) -> DarajaError:
    return DarajaError(400, BAD_REQUEST, f"Bad Request - Invalid {field}")


def password_of(shortcode: str, passkey: str, timestamp: str) -> str:
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode()


def digits(body: dict, field: str, pattern: re.Pattern) -> str:
    """A numeric field sent as a number or a string, matching ``pattern``."""
    value = body.get(field)
    text = str(value).strip() if isinstance(value, (int, str)) and \
        not isinstance(value, bool) else ""
    if not pattern.fullmatch(text):
        raise bad(field)
    return text


def shillings(value: object) -> int:
    """A whole number of shillings >= 1 (a number or a digit string; 10.0 allowed)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad("Amount")
    return value


def timestamp(value: object, skew: float, now: datetime) -> str:
    """``YYYYMMDDHHmmss``, a real date within ``skew`` seconds of now in EAT."""
    text = value if isinstance(value, str) else ""
    try:
        at = datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=EAT)
    except ValueError:
        raise bad("Timestamp") from None
    if len(text) != 14 or abs((at - now).total_seconds()) > skew:
        raise bad("Timestamp")
    return text


def text_field(body: dict, field: str, limit: int, minimum: int = 1,
               required: bool = True) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not minimum <= len(value.strip()) <= limit:
        raise bad(field)
    return value.strip()


def url_field(body: dict, field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.startswith(("http://", "https://")) \
            or len(value) > 1000 or " " in value:
        raise bad(field)
    return value
