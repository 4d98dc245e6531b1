"""Daraja simulator records: an app (account), an STK push and a reversal. Plain data, no
locking (``store`` keeps and mutates them under its lock)."""
from __future__ import annotations

import dataclasses
import secrets
import string
from datetime import datetime

from .rules import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, Scenario, password_of

UPPER_ALNUM = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits


def random_text(n: int, alphabet: str = UPPER_ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def receipt() -> str:
    """An M-Pesa receipt number such as ``NLJ7RT61SV`` (10 characters, a letter first)."""
    return secrets.choice(string.ascii_uppercase) + random_text(9)


@dataclasses.dataclass
class Account:
    """A Daraja app with its shortcode, as the portal and the go-live hold them."""

    account_id: str
    consumer_key: str
    consumer_secret: str
    shortcode: str
    passkey: str
    account_type: str = "paybill"            # paybill | till
    till_number: str | None = None
    initiator_name: str | None = None
    initiator_password: str | None = None
    sandbox: bool = False                    # the built-in public sandbox app

    def check_password(self, given: str, timestamp: str) -> bool:
        """Whether ``given`` is base64(shortcode + passkey + timestamp)."""
        expected = password_of(self.shortcode, self.passkey, timestamp)
        return secrets.compare_digest(given.encode(), expected.encode())

    def public(self) -> dict:
        def masked(value: str | None) -> str | None:
            return None if not value else value[:4] + "…" + value[-2:]
        return {"id": self.account_id, "consumer_key": masked(self.consumer_key),
                "shortcode": self.shortcode, "account_type": self.account_type,
                "till_number": self.till_number, "initiator_name": self.initiator_name,
                "has_initiator_password": bool(self.initiator_password),
                "sandbox": self.sandbox}


def sandbox_account() -> Account:
    """Safaricom's public sandbox app: shortcode 174379 and its published passkey."""
    return Account("sandbox", "", "", SANDBOX_SHORTCODE, SANDBOX_PASSKEY, sandbox=True)


@dataclasses.dataclass
class Push:
    checkout_request_id: str
    merchant_request_id: str
    account_id: str
    shortcode: str
    transaction_type: str
    party_b: str
    amount: int                              # whole shillings
    msisdn: str
    callback_url: str
    account_reference: str
    description: str
    scenario: Scenario
    created_at: datetime
    planned_code: int | None = None          # what the shopper's phone will answer
    result_code: int | None = None           # None: still being processed
    result_desc: str | None = None
    receipt: str | None = None
    completed_at: datetime | None = None
    reversed_by: str | None = None           # the OriginatorConversationID that did
    jobs: list[int] = dataclasses.field(default_factory=list)
    callbacks: list[dict] = dataclasses.field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return self.result_code is not None


@dataclasses.dataclass
class Reversal:
    originator_conversation_id: str
    conversation_id: str
    account_id: str
    transaction_id: str
    amount: int
    receiver_party: str
    result_url: str
    queue_timeout_url: str
    remarks: str
    occasion: str | None
    credential_ok: bool
    created_at: datetime
    result_code: str | None = None
    result_desc: str | None = None
    receipt: str | None = None
    deliveries: list[dict] = dataclasses.field(default_factory=list)
