"""FeexPay simulator: networks, configuration, magic-number scenarios and request validation.

Written from docs/providers.md section 1 only; nothing here is shared with the product's adapter.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from checkout.simulators._runtime import env_float

IN_PENDING = "IN PENDING STATE"


@dataclasses.dataclass(frozen=True)
class Network:
    segment: str
    country: str
    phone_re: re.Pattern
    label: str  # `mode` in status, `reseau` in webhooks
    redirect: bool = False  # Wave / Orange: answer with a payment_url
    plain_description: bool = False  # MTN refuses any special character, even a hyphen
    final_in_init: bool = False  # Moov BJ answers a final status in the init response
    stringy: bool = False  # status gives amount as "1000" and phoneNumber as a JSON number
    wrapped: bool = False  # status is wrapped as {"data": {...}}


_PHONES = {  # country code + national number; Benin: 229 + 10 digits starting 01
    "BJ": r"22901\d{8}", "TG": r"228\d{8}", "CI": r"225\d{10}", "CG": r"242\d{9}",
    "SN": r"221\d{9}", "BF": r"226\d{8}", "ML": r"223\d{8}",
}


def _net(segment: str, country: str, label: str, **flags: bool) -> Network:
    return Network(segment, country, re.compile(_PHONES[country]), label, **flags)


NETWORKS: dict[str, Network] = {n.segment: n for n in (
    _net("mtn", "BJ", "MTN", plain_description=True),
    _net("moov", "BJ", "MOOV", final_in_init=True, stringy=True),
    _net("celtiis_bj", "BJ", "CELTIIS BJ"),
    _net("coris", "BJ", "CORIS", wrapped=True),
    _net("togocom_tg", "TG", "TOGOCOM TG", stringy=True),
    _net("moov_tg", "TG", "MOOV TG", stringy=True),
    _net("mtn_ci", "CI", "MTN CI", plain_description=True),
    _net("moov_ci", "CI", "MOOV CI", stringy=True),
    _net("orange_ci", "CI", "ORANGE CI", redirect=True, wrapped=True),
    _net("wave_ci", "CI", "WAVE CI", redirect=True, wrapped=True),
    _net("mtn_cg", "CG", "MTN CG", plain_description=True),
    _net("orange_sn", "SN", "ORANGE SN", redirect=True, wrapped=True),
    _net("free_sn", "SN", "FREE SN", stringy=True, wrapped=True),
    _net("wave_sn", "SN", "WAVE SN", redirect=True, wrapped=True),
    _net("moov_bf", "BF", "MOOV BF", stringy=True),
    _net("orange_bf", "BF", "ORANGE BF", redirect=True, wrapped=True),
    _net("wave_bf", "BF", "WAVE BF", redirect=True, wrapped=True),
    _net("orange_ml", "ML", "ORANGE ML", redirect=True, wrapped=True),
    _net("mobicash_ml", "ML", "MOBICASH ML", stringy=True, wrapped=True),
)}

_PLAIN_TEXT = re.compile(r"[a-zA-Z0-9 ]*")


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    outcome: str | None  # final status, None = never answers
    reason: str | None = None
    operator_status: str | None = None  # set early, before `status` catches up
    late: bool = False  # final after late_delay_seconds instead of delay_seconds
    immediate_on: frozenset[str] | None = None  # segments where it is final at once
    webhooks: str = "normal"  # normal | none | early_and_twice
    init_http_error: int | None = None


ALL_SEGMENTS = frozenset(NETWORKS)
SCENARIOS: dict[str, Scenario] = {
    "01": Scenario("success", "SUCCESSFUL"),
    "02": Scenario("low_balance", "FAILED", "LOW_BALANCE", immediate_on=frozenset({"moov"})),
    "03": Scenario("cancelled", "FAILED", "DECLINED", operator_status="DECLINED"),
    "04": Scenario("no_answer", None),
    "05": Scenario("success_without_webhook", "SUCCESSFUL", webhooks="none"),
    "06": Scenario("upstream_502", None, init_http_error=502),
    "07": Scenario("late_success", "SUCCESSFUL", late=True),
    "08": Scenario("early_and_repeated_webhooks", "SUCCESSFUL", webhooks="early_and_twice"),
    "09": Scenario("immediate_success", "SUCCESSFUL", immediate_on=ALL_SEGMENTS),
}
DEFAULT_SCENARIO = Scenario("success", "SUCCESSFUL")


def scenario_for(phone: str) -> Scenario:
    """The outcome is chosen by the last two digits of the payer's phone number."""
    return SCENARIOS.get(phone[-2:], DEFAULT_SCENARIO)


@dataclasses.dataclass(frozen=True)
class FeexPayConfig:
    delay_seconds: float = 3.0
    late_delay_seconds: float = 1860.0
    min_amount: int = 100
    max_amount: int = 2_000_000
    amount_limits: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)
    otp_required_networks: frozenset[str] = frozenset()
    webhook_timeout_seconds: float = 3.0
    webhook_retries: int = 2
    webhook_retry_delay_seconds: float = 2.0
    public_url: str | None = None
    shops: dict[str, dict] = dataclasses.field(default_factory=dict)

    def limits(self, segment: str) -> tuple[int, int]:
        return self.amount_limits.get(segment, (self.min_amount, self.max_amount))


# Keys a caller may set once at the top level for every simulator.
SHARED_KEYS = ("delay_seconds", "late_delay_seconds", "webhook_timeout_seconds",
               "webhook_retries", "webhook_retry_delay_seconds", "public_url")
_ENV = {"delay_seconds": "SIM_FEEXPAY_DELAY", "late_delay_seconds": "SIM_FEEXPAY_LATE_DELAY"}


def load_config(config: dict | None) -> FeexPayConfig:
    """Merge ``config["feexpay"]`` over shared top-level keys over env vars over defaults.

    Raises ValueError on an unknown key in the ``feexpay`` section or an unknown network.
    """
    config = config or {}
    section = dict(config.get("feexpay") or {})
    fields = {f.name for f in dataclasses.fields(FeexPayConfig)}
    unknown = set(section) - fields
    if unknown:
        raise ValueError(f"unknown feexpay simulator config keys: {sorted(unknown)}")
    merged: dict[str, Any] = {k: config[k] for k in SHARED_KEYS if k in config}
    merged.update(section)
    for key, var in _ENV.items():
        if key not in merged and (value := env_float(var)) is not None:
            merged[key] = value
    limits = {seg: (int(lo), int(hi)) for seg, (lo, hi) in merged.get("amount_limits", {}).items()}
    otp = frozenset(merged.get("otp_required_networks", ()))
    for segment in (*limits, *otp):
        if segment not in NETWORKS:
            raise ValueError(f"unknown FeexPay network segment in config: {segment!r}")
    merged["amount_limits"], merged["otp_required_networks"] = limits, otp
    return FeexPayConfig(**merged)


class ApiError(Exception):
    """A refusal answered as FeexPay does: HTTP status + JSON ``{"message": ...}``."""

    def __init__(self, status: int, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.detail = status, message, detail

    def body(self) -> dict:
        return {"message": self.message} if self.detail is None else \
            {"message": self.message, "detail": self.detail}


def validate_payin(network: Network, body: dict, cfg: FeexPayConfig) -> None:
    """Raise ApiError(400) for the first invalid field of a request-to-pay body."""
    amount = body.get("amount")
    lo, hi = cfg.limits(network.segment)
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ApiError(400, "ERR_INVALID_AMOUNT", "amount must be an integer number of francs")
    if not lo <= amount <= hi:
        raise ApiError(400, "ERR_INVALID_AMOUNT", f"amount must be between {lo} and {hi}")
    phone = body.get("phoneNumber")
    if not isinstance(phone, str) or not phone.isascii() or not phone.isdigit():
        raise ApiError(400, "ERR_INVALID_PHONE",
                       "phoneNumber must be a string of digits with country code, no '+'")
    if not network.phone_re.fullmatch(phone):
        raise ApiError(400, "ERR_INVALID_PHONE",
                       f"phoneNumber is not a valid {network.country} number for {network.segment}")
    for key in ("first_name", "last_name", "email", "description", "return_url", "cancel_url",
                "otp"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise ApiError(400, "ERR_INVALID_FIELD", f"{key} must be a string")
    description = body.get("description") or ""
    if network.plain_description and not _PLAIN_TEXT.fullmatch(description):
        raise ApiError(400, "ERR_INVALID_DESCRIPTION",
                       "MTN refuses special characters in description (letters, digits, spaces)")
    if network.segment in cfg.otp_required_networks and not body.get("otp"):
        raise ApiError(400, "ERR_OTP_REQUIRED", "this network needs the payer's payment code (otp)")
