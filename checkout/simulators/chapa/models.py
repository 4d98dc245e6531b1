"""Chapa simulator records: an account, a transaction and a refund (plain data).

Sits below ``store`` (which keeps and mutates them) and ``shapes`` (which renders them).
No card data ever reaches these records: the payment page checks a card and drops it.
"""
from __future__ import annotations

import dataclasses
import secrets
import string
from datetime import UTC, datetime
from decimal import Decimal

PENDING, SUCCESS, FAILED, REFUNDED = "pending", "success", "failed", "refunded"
_ALNUM = string.ascii_letters + string.digits


def now() -> datetime:
    return datetime.now(UTC)


def random_token(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclasses.dataclass
class Account:
    """A merchant's Chapa account as its dashboard holds it."""

    account_id: str
    secret_key: str
    webhook_secret: str | None = None
    webhook_url: str | None = None

    @property
    def mode(self) -> str:
        """Test keys are ``CHASECK_TEST-…``; a live key (``CHASECK-…``) answers ``live``."""
        return "live" if self.secret_key.startswith("CHASECK-") else "test"

    def public(self) -> dict:
        return {"id": self.account_id, "secret_key": self.secret_key,
                "webhook_secret": self.webhook_secret, "webhook_url": self.webhook_url,
                "mode": self.mode}


@dataclasses.dataclass
class Refund:
    reference: str                  # Chapa's (simulated) refund reference
    amount: Decimal
    reason: str | None
    merchant_reference: str | None
    created_at: datetime
    status: str = "queued"          # queued | processed
    processed_at: datetime | None = None


@dataclasses.dataclass
class Transaction:
    tx_ref: str
    account_id: str
    mode: str
    token: str                      # of the hosted page URL
    fields: dict                    # the validated initialize request
    created_at: datetime
    reference: str = dataclasses.field(default_factory=lambda: "AP" + random_token(10))
    status: str = PENDING
    method: str | None = None
    updated_at: datetime | None = None
    refunds: list[Refund] = dataclasses.field(default_factory=list)
    webhooks: list[dict] = dataclasses.field(default_factory=list)
    callbacks: list[dict] = dataclasses.field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return self.fields["amount"]

    @property
    def currency(self) -> str:
        return self.fields["currency"]

    @property
    def charge(self) -> Decimal:
        """Chapa's fee, simulated as 3.5 %."""
        return (self.amount * Decimal("0.035")).quantize(Decimal("0.01"))

    def refundable(self) -> Decimal:
        """What is left to refund, counting queued refunds."""
        return self.amount - sum((r.amount for r in self.refunds), Decimal("0"))

    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds if r.status == "processed"), Decimal("0"))
