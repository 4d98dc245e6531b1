"""Vodacom M-Pesa Mozambique simulator state, in memory: accounts, transactions (C2B,
B2C, B2B, reversals) and the ThirdPartyReferences each account has used. Thread-safe.

A C2B transaction is recorded when its request arrives, with the time its outcome is due:
its state is read from the clock (Pending until then, final after), so a client that
hangs up mid-hold changes nothing: the customer is still debited and a status query later
shows the final state."""
from __future__ import annotations

import dataclasses
import itertools
import secrets
import string
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import current_app

from .rules import INS, InsError, MpesaMzConfig, Scenario

_ALPHABET = string.ascii_uppercase + string.digits


def current_simulator() -> MpesaMzSimulator:
    return current_app.extensions["simulators"]["mpesa_mz"]


@dataclasses.dataclass
class Account:
    account_id: str
    api_key: str
    service_provider_code: str
    initiator_identifier: str | None = None
    security_credential: str | None = None

    def public(self) -> dict[str, Any]:
        return {"id": self.account_id, "service_provider_code": self.service_provider_code,
                "initiator_identifier": self.initiator_identifier,
                "security_credential_set": self.security_credential is not None}


def parse_account(account_id: str, data: Any) -> Account:
    """A registration body ``{api_key, service_provider_code}`` (plus optional
    ``initiator_identifier`` and ``security_credential``, checked by reversals when
    given). Raises InsError("INS-21") on a bad body."""
    if not isinstance(data, dict):
        raise InsError("INS-21")
    key, code = data.get("api_key"), data.get("service_provider_code")
    extras = [data.get("initiator_identifier"), data.get("security_credential")]
    if not (isinstance(key, str) and key.strip() and isinstance(code, str)
            and code.isdigit() and 5 <= len(code) <= 6) \
            or any(v is not None and not (isinstance(v, str) and v) for v in extras):
        raise InsError("INS-21")
    return Account(account_id, key.strip(), code, *extras)


@dataclasses.dataclass
class Transaction:
    kind: str                      # "c2b" | "b2c" | "b2b" | "reversal"
    account_id: str
    third_party_reference: str
    transaction_reference: str | None
    msisdn: str | None
    amount: Decimal
    scenario: Scenario
    due: float                     # monotonic time the outcome is known
    transaction_id: str
    conversation_id: str
    created_at: str
    original: str | None = None    # a reversal: the TransactionID it reverses
    reversed_amount: Decimal = Decimal(0)

    def final(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) >= self.due

    def status(self) -> str:
        return self.scenario.status if self.final() else "Pending"

    def debited(self) -> bool:
        return self.kind == "c2b" and self.final() and self.scenario.code == "INS-0"


def _new_id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class MpesaMzSimulator:
    """All M-Pesa Mozambique state of one simulator app."""

    def __init__(self, cfg: MpesaMzConfig) -> None:
        self.cfg = cfg
        self._lock = threading.RLock()
        self._accounts: dict[str, Account] = {}
        self._txs: list[Transaction] = []
        self._used: dict[tuple[str, str], int] = {}   # (account, ThirdPartyReference) -> calls
        self._wake = threading.Event()
        self._seq = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Forget every transaction; accounts go back to the configured seed. Requests
        held open are released (answered INS-1)."""
        with self._lock:
            self._wake.set()
            self._wake = threading.Event()
            self._txs.clear()
            self._used.clear()
            self._accounts = {aid: parse_account(aid, d) for aid, d in self.cfg.accounts.items()}

    def close(self) -> None:
        with self._lock:
            self._wake.set()

    # -- accounts ----------------------------------------------------------------------
    def put_account(self, account: Account) -> bool:
        with self._lock:
            created = account.account_id not in self._accounts
            self._accounts[account.account_id] = account
            return created

    def get_account(self, account_id: str) -> Account | None:
        with self._lock:
            return self._accounts.get(account_id)

    def account_for_key(self, api_key: str) -> Account | None:
        with self._lock:
            return next((a for a in self._accounts.values()
                         if secrets.compare_digest(a.api_key.encode(), api_key.encode())), None)

    # -- transactions ------------------------------------------------------------------
    def claim(self, account: Account, tpr: str) -> None:
        """Use a ThirdPartyReference for one request: INS-10 when the account used it
        before, in any operation (5.3)."""
        with self._lock:
            key = (account.account_id, tpr)
            self._used[key] = self._used.get(key, 0) + 1
            if self._used[key] > 1:
                raise InsError("INS-10", tpr)

    def record(self, account: Account, kind: str, fields: dict, amount: Decimal,
               scenario: Scenario, original: str | None = None) -> Transaction:
        """A new transaction whose outcome is due after the scenario's timing."""
        wait = {"delay": self.cfg.delay_seconds, "hold": self.cfg.hold_seconds,
                "late": self.cfg.late_delay_seconds, "now": 0.0}[scenario.timing]
        with self._lock:
            tx = Transaction(
                kind, account.account_id, fields["input_ThirdPartyReference"],
                fields.get("input_TransactionReference"), fields.get("input_CustomerMSISDN"),
                amount, scenario, time.monotonic() + wait, _new_id("", 10),
                f"{_new_id('', 20).lower()}{next(self._seq)}",
                datetime.now(UTC).isoformat(timespec="seconds"), original)
            if scenario.record:
                self._txs.append(tx)
            return tx

    def wait_final(self, tx: Transaction) -> bool:
        """Hold the calling request until ``tx``'s outcome is due; False when the
        simulator was reset or closed meanwhile."""
        wake = self._wake
        while not tx.final():
            if wake.wait(max(0.0, min(tx.due - time.monotonic(), 1.0))):
                return False
        return True

    def find(self, account: Account, reference: str) -> Transaction | None:
        """A transaction of ``account`` by ThirdPartyReference, TransactionID,
        ConversationID or TransactionReference (the newest first)."""
        with self._lock:
            for tx in reversed(self._txs):
                if tx.account_id == account.account_id and reference in (
                        tx.third_party_reference, tx.transaction_id, tx.conversation_id,
                        tx.transaction_reference):
                    return tx
            return None

    def reverse(self, account: Account, fields: dict, amount: Decimal) -> Transaction:
        """Reverse ``amount`` of a completed C2B transaction of ``account`` (5.3):
        INS-18 when it is unknown or not completed, INS-15 when more than what is left."""
        tpr = fields["input_ThirdPartyReference"]
        with self._lock:
            original = next((t for t in self._txs if t.account_id == account.account_id
                             and t.transaction_id == fields["input_TransactionID"]
                             and t.kind == "c2b"), None)
            if original is None or not original.debited():
                raise InsError("INS-18", tpr)
            if amount > original.amount - original.reversed_amount:
                raise InsError("INS-15", tpr)
            original.reversed_amount += amount
            done = Scenario("reversal", "INS-0", "Completed", timing="now")
            return self.record(account, "reversal", fields, amount, done,
                               original=original.transaction_id)

    # -- inspection --------------------------------------------------------------------
    def inspect(self, reference: str) -> dict[str, Any] | None:
        with self._lock:
            tx = next((t for t in reversed(self._txs) if reference in (
                t.third_party_reference, t.transaction_id)), None)
            if tx is None:
                return None
            debits = sum(1 for t in self._txs if t.debited() and t.account_id == tx.account_id
                         and t.transaction_reference == tx.transaction_reference
                         and t.transaction_reference is not None)
            return {**self._render(tx),
                    "requests": self._used.get((tx.account_id, tx.third_party_reference), 0),
                    "debits_with_same_transaction_reference": debits}

    def listing(self, account_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [self._render(t) for t in self._txs if account_id in (None, t.account_id)]

    @staticmethod
    def _render(tx: Transaction) -> dict[str, Any]:
        return {"kind": tx.kind, "account": tx.account_id,
                "third_party_reference": tx.third_party_reference,
                "transaction_reference": tx.transaction_reference, "msisdn": tx.msisdn,
                "amount": str(tx.amount), "scenario": tx.scenario.name,
                "status": tx.status(),
                "response_code": tx.scenario.code if tx.final() else None,
                "response_desc": INS[tx.scenario.code][1] if tx.final() else None,
                "transaction_id": tx.transaction_id, "conversation_id": tx.conversation_id,
                "created_at": tx.created_at, "debited": tx.debited(),
                "reverses": tx.original, "reversed_amount": str(tx.reversed_amount)}
