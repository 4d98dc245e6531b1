"""Paystack simulator refunds (providers.md 3.6): queued as pending, processed (or failed
when they exceed what is left of the transaction) after the refund delay, with the
``refund.*`` webhooks (3.5). A fully refunded transaction verifies as ``reversed``."""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from checkout.simulators._runtime import Scheduler

from .models import Refund, Transaction, random_code
from .rules import FULLY_REVERSED, ApiError, PaystackConfig
from .shapes import refund_event


class RefundDesk:
    """The refunds of one simulator; shares the simulator's lock, timers and webhooks."""

    def __init__(self, lock: threading.RLock, scheduler: Scheduler, cfg: PaystackConfig,
                 hook: Callable[[str, dict, list], None]) -> None:
        self._lock, self._scheduler, self._cfg, self._hook = lock, scheduler, cfg, hook
        self._refunds: dict[int, Refund] = {}
        self._ids = itertools.count(15_500_001)

    def clear(self) -> None:
        with self._lock:
            self._refunds.clear()

    def create(self, tx: Transaction, amount: int | None, currency: str | None,
               notes: dict) -> Refund:
        """Queue a refund of ``tx`` (its remaining amount by default). ApiError(400): the
        transaction is not successful or fully reversed, the amount is above the
        transaction's, the currency is another, or a USD refund is under 1 USD."""
        with self._lock:
            if tx.status == "reversed":
                raise ApiError(400, FULLY_REVERSED)
            if tx.status != "success":
                raise ApiError(400, "Cannot refund a transaction that is not successful")
            amount = tx.amount - self._refunded(tx) if amount is None else amount
            if amount > tx.amount:
                raise ApiError(400, "Refund amount cannot be more than the transaction amount")
            if currency not in (None, tx.currency):
                raise ApiError(400, "Currency does not match the transaction currency")
            if tx.currency == "USD" and amount < 100:
                raise ApiError(400, "Cannot refund less than USD 1")
            refund = Refund(next(self._ids), tx, amount, tx.currency, datetime.now(UTC),
                            **notes)
            self._refunds[refund.id] = refund
            self._hook(tx.account_id, refund_event(refund), refund.webhooks)
            self._scheduler.call_later(self._cfg.refund_delay, self._process, refund)
            return refund

    def get(self, refund_id: int, account_id: str | None, render) -> Any:
        """``render(refund)``; ApiError(404) if unknown or another account's."""
        with self._lock:
            refund = self._refunds.get(refund_id)
            if refund is None or account_id not in (None, refund.transaction.account_id):
                raise ApiError(404, "Refund not found")
            return render(refund)

    def listing(self, account_id: str, render, transaction: str | None = None) -> list:
        """``render(refund)`` for the account's refunds (of one transaction, by reference
        or id, when given), newest first."""
        with self._lock:
            return [render(r) for r in sorted(self._refunds.values(), key=lambda r: -r.id)
                    if r.transaction.account_id == account_id and transaction in (
                        None, r.transaction.reference, str(r.transaction.id))]

    def of(self, tx: Transaction) -> list[Refund]:
        with self._lock:
            return [r for r in self._refunds.values() if r.transaction is tx]

    def _refunded(self, tx: Transaction) -> int:
        return sum(r.amount for r in self._refunds.values()
                   if r.transaction is tx and r.status == "processed")

    def _process(self, refund: Refund) -> None:
        with self._lock:
            if self._refunds.get(refund.id) is not refund or refund.status != "pending":
                return
            tx = refund.transaction
            if refund.amount <= tx.amount - self._refunded(tx):
                refund.status, refund.refunded_at = "processed", datetime.now(UTC)
                refund.refund_reference = random_code(12, "0123456789")
                if self._refunded(tx) >= tx.amount:
                    tx.status = "reversed"
            else:
                refund.status, refund.refund_reference = "failed", "TRF_" + random_code(15)
                refund.reason = "Refund amount exceeds what is left of the transaction"
            self._hook(tx.account_id, refund_event(refund), refund.webhooks)
