"""FeexPay simulator records: a shop and a transaction (plain data, no state, no locking).

Sits below both ``store`` (which keeps and mutates them) and ``shapes`` (which renders them),
so neither of those has to import the other for its types.
"""
from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime

from .rules import Network, Scenario

FINAL = ("SUCCESSFUL", "FAILED")


def random_digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


@dataclasses.dataclass
class Shop:
    shop_id: str
    api_key: str
    webhook_url: str | None = None
    networks: list[str] | None = None  # None = every network

    def public(self) -> dict:
        return {"shop": self.shop_id, "api_key": self.api_key, "webhook_url": self.webhook_url,
                "networks": self.networks}


@dataclasses.dataclass
class Transaction:
    reference: str
    shop_id: str
    network: Network
    scenario: Scenario
    request: dict
    created_at: datetime
    status: str = "PENDING"
    reason: str | None = None
    operator_status: str = "PENDING"
    responsecode: str | None = None
    responsemsg: str | None = None
    transref: str = dataclasses.field(default_factory=lambda: random_digits(10))
    serviceref: str | None = None
    payment_url: str | None = None
    awaiting_shopper: bool = False
    finished_at: datetime | None = None
    jobs: list[int] = dataclasses.field(default_factory=list)
    webhooks: list[dict] = dataclasses.field(default_factory=list)

    @property
    def phone(self) -> str:
        return self.request["phoneNumber"]
