"""Paystack simulator records: an account (integration), a transaction and a refund.

Plain data, no locking (``store`` keeps and mutates them under its lock). No record ever
holds a card number, CVV, PIN or OTP: only the test card's constant bin/last4/brand.
"""
from __future__ import annotations

import dataclasses
import secrets
import string
from datetime import datetime

from .rules import MomoProvider, Scenario

_ALNUM = string.ascii_lowercase + string.digits


def random_code(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclasses.dataclass
class Account:
    account_id: str
    secret_key: str
    webhook_url: str | None
    integration: int

    @property
    def domain(self) -> str:
        """test | live: the mode of the key (3.1)."""
        return "live" if self.secret_key.startswith("sk_live_") else "test"

    def public(self) -> dict:
        key = self.secret_key
        return {"id": self.account_id, "integration": self.integration,
                "secret_key": key[:8] + "…" + key[-4:], "webhook_url": self.webhook_url,
                "domain": self.domain}


@dataclasses.dataclass
class Transaction:
    id: int
    reference: str
    account_id: str
    domain: str
    integration: int
    amount: int                    # subunits
    currency: str
    email: str
    channel: str                   # "card" | "mobile_money"
    created_at: datetime
    metadata: dict
    scenario: Scenario
    # abandoned (initialized, not finished: what Paystack's verify says, 3.3) | send_otp |
    # pay_offline | success | failed | reversed
    status: str = "abandoned"
    gateway_response: str = "The transaction was not completed"
    callback_url: str | None = None
    channels: list[str] = dataclasses.field(default_factory=list)
    access_code: str | None = None
    provider: MomoProvider | None = None
    phone: str | None = None       # mobile money: the national number
    closed: bool = False           # the hosted page can no longer be used
    otp_failures: int = 0
    paid_at: datetime | None = None
    authorization: dict = dataclasses.field(default_factory=dict)
    customer_code: str = dataclasses.field(default_factory=lambda: "CUS_" + random_code(15))
    jobs: list[int] = dataclasses.field(default_factory=list)
    webhooks: list[dict] = dataclasses.field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status in ("abandoned", "send_otp", "pay_offline") and not self.closed


@dataclasses.dataclass
class Refund:
    id: int
    transaction: Transaction
    amount: int                    # subunits
    currency: str
    created_at: datetime
    merchant_note: str | None = None
    customer_note: str | None = None
    status: str = "pending"        # pending | processed | failed
    refund_reference: str | None = None
    refunded_at: datetime | None = None
    reason: str | None = None
    webhooks: list[dict] = dataclasses.field(default_factory=list)
