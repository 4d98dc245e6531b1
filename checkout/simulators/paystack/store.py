"""Paystack simulator state: accounts, transactions, refunds, timed outcomes and signed
webhooks, in memory. Every public method is thread-safe (one lock)."""
from __future__ import annotations

import itertools
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from checkout.simulators._runtime import Scheduler

from .hooks import Hooks
from .models import Account, Refund, Transaction, random_code
from .refunds import RefundDesk
from .rules import (
    BAD_TOKEN,
    CARD_SCENARIO,
    DUPLICATE_CHARGE,
    DUPLICATE_INIT,
    MAX_OTP_FAILURES,
    NOT_FOUND,
    TOO_MANY,
    VOUCHER,
    ApiError,
    MomoProvider,
    PaystackConfig,
    SimCard,
    scenario_for,
)
from .shapes import charge_data, charge_success_event

FINAL = ("success", "failed", "reversed")


def current_simulator() -> PaystackSimulator:
    """The Paystack simulator of the app serving the current request."""
    return current_app.extensions["simulators"]["paystack"]


def _now() -> datetime:
    return datetime.now(UTC)


def parse_account(account_id: str, data: Any) -> Account:
    """Validate an admin account registration; raises ApiError(400)."""
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON body")
    key, url = data.get("secret_key"), data.get("webhook_url")
    if not isinstance(key, str) or not key.startswith(("sk_test_", "sk_live_")):
        raise ApiError(400, "secret_key must be an sk_test_... or sk_live_... key")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise ApiError(400, "webhook_url must be an http(s) URL or null")
    return Account(account_id, key, url, 100000 + secrets.randbelow(900000))


class PaystackSimulator:
    """All Paystack state of one simulator app."""

    def __init__(self, cfg: PaystackConfig) -> None:
        self.cfg = cfg
        self._lock = threading.RLock()
        self._scheduler = Scheduler("paystack-sim-timer")
        self._hooks = Hooks(self._scheduler, cfg.webhook_timeout_seconds, cfg.retry_delays())
        self._accounts: dict[str, Account] = {}
        self._txs: dict[tuple[str, str], Transaction] = {}
        self._ids = itertools.count(4_100_000_001)
        self.refund_desk = RefundDesk(self._lock, self._scheduler, cfg, self.hook)
        self.reset()

    def reset(self) -> None:
        """Forget every transaction, refund and timer; accounts go back to the seed."""
        with self._lock:
            self._scheduler.clear()
            self._hooks.clear()
            self._txs.clear()
            self.refund_desk.clear()
            self._accounts = {aid: parse_account(aid, d) for aid, d in self.cfg.accounts.items()}

    def close(self) -> None:
        self._scheduler.stop()
        self._hooks.stop()

    # -- accounts --------------------------------------------------------------------------
    def put_account(self, account: Account) -> bool:
        """Register or replace an account; True when it is new."""
        with self._lock:
            old = self._accounts.get(account.account_id)
            if old is not None:
                account.integration = old.integration
            self._accounts[account.account_id] = account
            return old is None

    def get_account(self, account_id: str) -> Account | None:
        with self._lock:
            return self._accounts.get(account_id)

    def account_for_key(self, key: str) -> Account | None:
        with self._lock:
            return next((a for a in self._accounts.values()
                         if secrets.compare_digest(a.secret_key.encode(), key.encode())), None)

    # -- reading ---------------------------------------------------------------------------
    def render(self, account: Account | None, reference: str, render) -> Any:
        """``render(tx)`` under the lock; ApiError(400, not found) if unknown."""
        with self._lock:
            return render(self._require(account, reference))

    def by_access_code(self, access_code: str, render) -> Any:
        with self._lock:
            return render(self._by_code(access_code))

    def transactions(self, account_id: str | None = None, render=lambda tx: tx) -> list:
        with self._lock:
            return [render(t) for t in self._txs.values() if account_id in (None, t.account_id)]

    def listing(self, account_id: str, since: datetime | None, until: datetime | None,
                status: str | None, render) -> list:
        """The account's transactions created in ``[since, until)`` (either open), of
        ``status`` when given, newest first, each ``render``ed (List Transactions)."""
        with self._lock:
            found = [t for t in self._txs.values() if t.account_id == account_id
                     and (since is None or t.created_at >= since)
                     and (until is None or t.created_at < until)
                     and status in (None, t.status)]
            found.sort(key=lambda t: (t.created_at, t.id), reverse=True)
            return [render(t) for t in found]

    def record(self, account: Account, fields: dict, status: str,
               created_at: datetime | None) -> Transaction:
        """A final transaction made outside our product (Paystack's own page, a payment
        link, the dashboard), as the merchant's integration holds it (admin). ApiError(400)
        on a reused reference."""
        with self._lock:
            tx = self._new(account, fields, DUPLICATE_INIT, channel="card",
                           scenario=CARD_SCENARIO)
            tx.created_at = created_at or tx.created_at
            tx.status, tx.closed = status, True
            tx.gateway_response = "Approved" if status == "success" else "Declined"
            tx.paid_at = tx.created_at if status == "success" else None
            return tx

    def _require(self, account: Account | None, reference: str) -> Transaction:
        if account is not None:
            tx = self._txs.get((account.account_id, reference))
        else:
            tx = next((t for (_a, ref), t in self._txs.items() if ref == reference), None)
        if tx is None:
            raise ApiError(400, NOT_FOUND)
        return tx

    def _by_code(self, access_code: str) -> Transaction:
        tx = next((t for t in self._txs.values() if t.access_code == access_code), None)
        if tx is None:
            raise ApiError(404, "Invalid access code")
        return tx

    # -- payments --------------------------------------------------------------------------
    def initialize(self, account: Account, fields: dict) -> Transaction:
        """A transaction for the hosted page (3.2); ApiError(400) on a reused reference."""
        with self._lock:
            tx = self._new(account, fields, DUPLICATE_INIT, channel="card",
                           scenario=CARD_SCENARIO)
            tx.access_code = random_code(15)
            return tx

    def charge(self, account: Account, fields: dict, provider: MomoProvider,
               phone: str) -> Transaction:
        """A mobile-money charge (3.4): ``send_otp`` for Vodafone, else ``pay_offline``
        and the number's scenario. ApiError(502) for magic 06, (400) on a reused
        reference."""
        scenario = scenario_for(phone)
        with self._lock:
            self._check_fresh(account, fields.get("reference"), DUPLICATE_CHARGE)
            if scenario.init_http_error:
                raise ApiError(scenario.init_http_error,
                               f"{provider.label} is unreachable. Nothing was debited, "
                               "please try again")
            tx = self._new(account, fields, DUPLICATE_CHARGE, channel="mobile_money",
                           scenario=scenario)
            tx.provider, tx.phone = provider, phone
            if provider.needs_otp:
                tx.status, tx.gateway_response = "send_otp", "Awaiting the voucher"
            else:
                self._start(tx)
            return tx

    def submit_otp(self, account: Account, reference: str, otp: str) -> Transaction:
        """The voucher of a ``send_otp`` charge (3.4): ``123456`` starts the scenario;
        a wrong one answers "Provided registration token is invalid" and the charge stays
        send_otp; after three wrong ones, "Too many attempts"."""
        with self._lock:
            tx = self._require(account, reference)
            if tx.status != "send_otp":
                raise ApiError(400, "Transaction is not awaiting an OTP", charge_data(tx))
            if tx.otp_failures >= MAX_OTP_FAILURES:
                raise ApiError(400, TOO_MANY, charge_data(tx))
            if not secrets.compare_digest(otp.encode(), VOUCHER.encode()):
                tx.otp_failures += 1
                raise ApiError(400, BAD_TOKEN, charge_data(tx))
            self._start(tx)
            return tx

    def card_decision(self, access_code: str, action: str, card: SimCard | None) -> Transaction:
        """The shopper's choice on the hosted page: ``succeed`` with ``card`` (already
        checked: its outcome decides), ``decline``, or ``abandon`` (the page closes, the
        transaction stays abandoned). ApiError(409) when the page is no longer open."""
        with self._lock:
            tx = self._by_code(access_code)
            if not tx.open:
                raise ApiError(409, "This transaction is already complete")
            if action == "abandon":
                tx.closed, tx.gateway_response = True, "The customer abandoned the payment"
            elif action == "decline":
                self._finish(tx, "failed", "Declined")
            else:
                tx.authorization = {"bin": card.bin, "last4": card.last4, "brand": card.brand}
                self._finish(tx, card.outcome, card.gateway_response)
            return tx

    def complete(self, reference: str, status: str, gateway_response: str | None) -> Transaction:
        """Force a final outcome now (admin); ApiError(409) if already final."""
        with self._lock:
            tx = self._require(None, reference)
            if tx.status in FINAL:
                raise ApiError(409, "Transaction already final")
            for job in tx.jobs:
                self._scheduler.cancel(job)
            self._finish(tx, status, gateway_response or
                         ("Approved" if status == "success" else "Declined"))
            return tx

    def _check_fresh(self, account: Account, reference: str | None, duplicate: str) -> None:
        if reference is not None and (account.account_id, reference) in self._txs:
            raise ApiError(400, duplicate)

    def _new(self, account, fields, duplicate, channel, scenario) -> Transaction:
        reference = fields.get("reference")
        self._check_fresh(account, reference, duplicate)
        while reference is None or (account.account_id, reference) in self._txs:
            reference = random_code(12)
        tx = Transaction(next(self._ids), reference, account.account_id, account.domain,
                         account.integration, fields["amount"], fields["currency"],
                         fields["email"], channel, _now(), fields.get("metadata") or {},
                         scenario, callback_url=fields.get("callback_url"),
                         channels=fields.get("channels") or [])
        self._txs[(account.account_id, reference)] = tx
        return tx

    # -- timeline --------------------------------------------------------------------------
    def _start(self, tx: Transaction) -> None:
        sc, delay = tx.scenario, self.cfg.delay_seconds
        tx.status, tx.gateway_response = "pay_offline", "Transaction in progress"
        if sc.immediate:
            self._finish(tx, sc.outcome, sc.gateway_response)
            return
        if sc.webhooks == "early_and_twice":
            tx.jobs.append(self._scheduler.call_later(delay / 2, self._early_hook, tx))
        if sc.outcome is not None:
            final = self.cfg.late_delay_seconds if sc.late else delay
            tx.jobs.append(self._scheduler.call_later(final, self._on_final, tx))

    def _early_hook(self, tx: Transaction) -> None:
        with self._lock:
            if tx.status not in FINAL:
                self._charge_hook(tx)

    def _on_final(self, tx: Transaction) -> None:
        with self._lock:
            if self._txs.get((tx.account_id, tx.reference)) is tx and tx.status not in FINAL:
                self._finish(tx, tx.scenario.outcome, tx.scenario.gateway_response)

    def _finish(self, tx: Transaction, status: str, gateway_response: str) -> None:
        tx.status, tx.gateway_response, tx.closed = status, gateway_response, True
        if status != "success":
            return              # Paystack sends no webhook for a failed charge (3.5)
        tx.paid_at = _now()
        for _ in range({"none": 0, "early_and_twice": 2}.get(tx.scenario.webhooks, 1)):
            self._charge_hook(tx)

    def _charge_hook(self, tx: Transaction) -> None:
        self.hook(tx.account_id, charge_success_event(tx), tx.webhooks)

    def hook(self, account_id: str, event: dict, log: list[dict]) -> None:
        """Send ``event`` (a snapshot) to the account's webhook URL after the webhook
        delay, signed with its key; every attempt is recorded in ``log``."""
        account = self._accounts.get(account_id)
        if account is None or not account.webhook_url:
            return
        entry = {"event": event["event"], "status_at_send": event["data"].get("status"),
                 "url": account.webhook_url, "attempts": []}
        log.append(entry)

        def record(attempt: int, outcome: int | str) -> None:
            with self._lock:
                entry["attempts"].append({"attempt": attempt, "result": outcome})

        self._scheduler.call_later(self.cfg.webhook_delay_seconds, self._hooks.send,
                                   account.webhook_url, account.secret_key, event, record)

    # -- refunds ---------------------------------------------------------------------------
    def create_refund(self, account: Account, transaction: str, amount: int | None,
                      currency: str | None, notes: dict) -> Refund:
        """Queue a refund of one of ``account``'s transactions (by reference or id; see
        RefundDesk.create). ApiError(400) when the transaction is unknown."""
        with self._lock:
            tx = self._txs.get((account.account_id, transaction))
            if tx is None and transaction.isdigit():
                tx = next((t for t in self._txs.values() if t.id == int(transaction)
                           and t.account_id == account.account_id), None)
            if tx is None:
                raise ApiError(400, "Transaction not found")
            return self.refund_desk.create(tx, amount, currency, notes)
