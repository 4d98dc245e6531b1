"""Vodacom M-Pesa Mozambique simulator: the INS codes, configuration, magic-number
scenarios and field validation. Written from docs/providers.md section 5 only; nothing
here is shared with the product's adapter."""
from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from checkout.simulators._runtime import env_float

# 5.6: code -> (HTTP status, description as the portal table words it)
INS: dict[str, tuple[int, str]] = {
    "INS-0": (201, "Request processed successfully"),
    "INS-1": (500, "Internal Error"),
    "INS-2": (401, "Invalid API Key"),
    "INS-4": (401, "User is not active"),
    "INS-5": (401, "Transaction cancelled by customer"),
    "INS-6": (401, "Transaction Failed"),
    "INS-9": (408, "Request timeout"),
    "INS-10": (409, "Duplicate Transaction"),
    "INS-13": (400, "Invalid Shortcode Used"),
    "INS-14": (400, "Invalid Reference Used"),
    "INS-15": (400, "Invalid Amount Used"),
    "INS-16": (503, "Unable to handle the request due to a temporary overloading"),
    "INS-17": (400, "Invalid Transaction Reference. Length Should Be Between 1 and 20."),
    "INS-18": (400, "Invalid TransactionID Used"),
    "INS-19": (400, "Invalid ThirdPartyReference Used"),
    "INS-20": (400, "Not All Parameters Provided. Please try again."),
    "INS-21": (400, "Parameter validations failed. Please try again."),
    "INS-24": (400, "Invalid InitiatorIdentifier Used"),
    "INS-25": (400, "Invalid SecurityCredential Used"),
    "INS-26": (400, "Not authorized"),
    "INS-2001": (400, "Initiator authentication error."),
    "INS-2002": (400, "Receiver invalid."),
    "INS-2006": (422, "Insufficient balance"),
    "INS-2051": (400, "MSISDN invalid."),
}
MSISDN_RE = re.compile(r"2588[45]\d{7}")          # 5.3: Vodacom numbers, 258 + 9 digits
SHORTCODE_RE = re.compile(r"\d{5,6}")             # 5.3: 5-6 digits (sandbox 171717)
REFERENCE_RE = re.compile(r"\w{1,20}")            # 5.3: TransactionReference 1-20 chars
# ThirdPartyReference: unique per request (5.3); its length is not documented: the
# simulator holds it to the TransactionReference's rule (UNCONFIRMED).
THIRD_PARTY_RE = re.compile(r"\w{1,20}")
AMOUNT_RE = re.compile(r"[1-9]\d*(\.\d{1,2})?")  # 5.3 SDK regex, at most two decimals
MAX_AMOUNT = Decimal(1_000_000)                   # per transaction (a simulator choice)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """What happens to a C2B request, chosen by the MSISDN's last two digits."""

    name: str
    code: str                # the final INS code
    status: str              # what a status query shows once final
    timing: str = "delay"    # "delay" | "hold" | "late" | "now"
    record: bool = True      # False: refused at the door, nothing recorded


SCENARIOS: dict[str, Scenario] = {
    "01": Scenario("success", "INS-0", "Completed"),
    "02": Scenario("insufficient_funds", "INS-2006", "Failed"),
    "03": Scenario("cancelled_by_customer", "INS-5", "Cancelled"),
    "04": Scenario("never_answers", "INS-9", "Expired", timing="hold"),
    # There is no callback in this API (5.4): "success without callback" is a success.
    "05": Scenario("success", "INS-0", "Completed"),
    "06": Scenario("temporary_overload", "INS-16", "N/A", timing="now", record=False),
    "07": Scenario("late_success", "INS-0", "Completed", timing="late"),
    # No callback to repeat either: a success.
    "08": Scenario("success", "INS-0", "Completed"),
    "09": Scenario("immediate_success", "INS-0", "Completed", timing="now"),
    "10": Scenario("msisdn_invalid", "INS-2051", "Failed", timing="now"),
    "11": Scenario("wrong_pin", "INS-2001", "Failed"),
    "12": Scenario("transaction_failed", "INS-6", "Failed"),
    "13": Scenario("internal_error", "INS-1", "Failed"),
}
DEFAULT_SCENARIO = Scenario("success", "INS-0", "Completed")
# B2C: no customer to wait for; a few endings refuse (the receiver, the merchant's float).
PAYOUT_SCENARIOS: dict[str, Scenario] = {
    "02": Scenario("insufficient_balance", "INS-2006", "Failed", timing="now"),
    "06": Scenario("temporary_overload", "INS-16", "N/A", timing="now", record=False),
    "10": Scenario("receiver_invalid", "INS-2051", "Failed", timing="now"),
}
PAYOUT_SUCCESS = Scenario("payout", "INS-0", "Completed", timing="now")


def scenario_for(msisdn: str, payout: bool = False) -> Scenario:
    if payout:
        return PAYOUT_SCENARIOS.get(msisdn[-2:], PAYOUT_SUCCESS)
    return SCENARIOS.get(msisdn[-2:], DEFAULT_SCENARIO)


@dataclasses.dataclass(frozen=True)
class MpesaMzConfig:
    delay_seconds: float = 3.0          # the customer types the PIN (01, 02, 03...)
    hold_seconds: float = 130.0         # 04: the platform gives up (INS-9) after this
    late_delay_seconds: float = 150.0   # 07: past a 120 s client read timeout
    accounts: dict[str, dict] = dataclasses.field(default_factory=dict)


SHARED_KEYS = ("delay_seconds", "late_delay_seconds")
_ENV = {"delay_seconds": "SIM_MPESA_MZ_DELAY", "hold_seconds": "SIM_MPESA_MZ_HOLD",
        "late_delay_seconds": "SIM_MPESA_MZ_LATE_DELAY"}


def load_config(config: dict | None) -> MpesaMzConfig:
    """Merge ``config["mpesa_mz"]`` over shared top-level keys over env vars
    (SIM_MPESA_MZ_DELAY, SIM_MPESA_MZ_HOLD, SIM_MPESA_MZ_LATE_DELAY) over defaults.
    Raises ValueError on an unknown key or a negative duration."""
    config = config or {}
    section = dict(config.get("mpesa_mz") or {})
    unknown = set(section) - {f.name for f in dataclasses.fields(MpesaMzConfig)}
    if unknown:
        raise ValueError(f"unknown mpesa_mz simulator config keys: {sorted(unknown)}")
    merged: dict[str, Any] = {k: config[k] for k in SHARED_KEYS if k in config}
    merged.update(section)
    for key, var in _ENV.items():
        if key not in merged and (value := env_float(var)) is not None:
            merged[key] = value
    cfg = MpesaMzConfig(**merged)
    if min(cfg.delay_seconds, cfg.hold_seconds, cfg.late_delay_seconds) < 0:
        raise ValueError("mpesa_mz durations must not be negative")
    return cfg


class InsError(Exception):
    """A refusal answered as the API does: the INS code's HTTP status and output_* body."""

    def __init__(self, code: str, third_party_reference: str | None = None) -> None:
        super().__init__(code)
        self.code, self.third_party_reference = code, third_party_reference

    @property
    def status(self) -> int:
        return INS[self.code][0]


def require(fields: dict, names: tuple[str, ...]) -> dict[str, str]:
    """The named input_* fields: INS-20 when one is missing or empty, INS-21 when one
    is not a string (5.3: all strings)."""
    out = {}
    for name in names:
        value = fields.get(name)
        if value is None or value == "":
            raise InsError("INS-20", _echo(fields))
        if not isinstance(value, str):
            raise InsError("INS-21", _echo(fields))
        out[name] = value.strip()
    return out


def _echo(fields: dict) -> str | None:
    value = fields.get("input_ThirdPartyReference")
    return value[:40] if isinstance(value, str) else None


def check_reference(value: str, tpr: str) -> str:
    if not REFERENCE_RE.fullmatch(value):
        raise InsError("INS-17", tpr)
    return value


def check_third_party(value: str) -> str:
    if not THIRD_PARTY_RE.fullmatch(value):
        raise InsError("INS-19", value[:40])
    return value


def check_msisdn(value: str, tpr: str) -> str:
    if not MSISDN_RE.fullmatch(value):
        raise InsError("INS-2051", tpr)
    return value


def check_amount(value: str, tpr: str) -> Decimal:
    """A positive amount of meticais (at most two decimals, at most MAX_AMOUNT): INS-15."""
    if not AMOUNT_RE.fullmatch(value):
        raise InsError("INS-15", tpr)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InsError("INS-15", tpr) from None
    if amount > MAX_AMOUNT:
        raise InsError("INS-15", tpr)
    return amount


def check_shortcode(value: str, expected: str, tpr: str) -> str:
    if not SHORTCODE_RE.fullmatch(value) or value != expected:
        raise InsError("INS-13", tpr)
    return value
