"""Chapa simulator state: accounts, transactions, refunds, and what each outcome sends."""
from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import current_app

from checkout.simulators._runtime import Scheduler

from .hooks import Outbox, signed
from .models import (
    FAILED,
    PENDING,
    REFUNDED,
    SUCCESS,
    Account,
    Refund,
    Transaction,
    now,
    random_token,
)
from .rules import ApiError, ChapaConfig
from .shapes import webhook_payload

EVENTS = {SUCCESS: "charge.success", FAILED: "charge.failed"}


def current_simulator() -> ChapaSimulator:
    """The Chapa simulator of the app serving the current request."""
    return current_app.extensions["simulators"]["chapa"]


def parse_account(account_id: str, data: Any) -> Account:
    """Validate an account registration (what Chapa's dashboard holds); ApiError(400)."""
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON body")
    key, secret, url = data.get("secret_key"), data.get("webhook_secret"), data.get("webhook_url")
    if not isinstance(key, str) or not key.strip():
        raise ApiError(400, "secret_key is required")
    if secret is not None and not (isinstance(secret, str) and secret):
        raise ApiError(400, "webhook_secret must be a non-empty string or null")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise ApiError(400, "webhook_url must be an http(s) URL or null")
    if not account_id.isascii() or not account_id.replace("-", "").replace("_", "").isalnum():
        raise ApiError(400, "account id: letters, digits, - and _ only")
    return Account(account_id, key.strip(), secret, url)


def _with_query(url: str, params: dict) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


class ChapaSimulator:
    """All Chapa state of one simulator app; every method is thread-safe."""

    def __init__(self, cfg: ChapaConfig) -> None:
        self.cfg = cfg
        self._lock = threading.RLock()
        self._scheduler = Scheduler("chapa-sim-timer")
        self._outbox = Outbox(self._scheduler, timeout=cfg.webhook_timeout_seconds,
                              retry_seconds=cfg.retry_seconds,
                              max_attempts=cfg.webhook_max_attempts)
        self._accounts: dict[str, Account] = {}
        self._txs: dict[tuple[str, str], Transaction] = {}
        self._tokens: dict[str, tuple[str, str]] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every transaction and pending timer; accounts back to the configured seed."""
        with self._lock:
            self._scheduler.clear()
            self._outbox.clear()
            self._txs.clear()
            self._tokens.clear()
            self._accounts = {i: parse_account(i, d) for i, d in self.cfg.accounts.items()}

    def close(self) -> None:
        self._scheduler.stop()
        self._outbox.stop()

    # -- accounts --------------------------------------------------------------------------
    def put_account(self, account: Account) -> bool:
        """Register or replace an account; True when new. ApiError(409) when another
        account already has that secret key (a key names one account)."""
        with self._lock:
            if any(a.secret_key == account.secret_key and i != account.account_id
                   for i, a in self._accounts.items()):
                raise ApiError(409, "secret_key belongs to another account")
            created = account.account_id not in self._accounts
            self._accounts[account.account_id] = account
            return created

    def get_account(self, account_id: str) -> Account | None:
        with self._lock:
            return self._accounts.get(account_id)

    def account_for_key(self, key: str) -> Account | None:
        with self._lock:
            found = None
            for account in self._accounts.values():
                if secrets.compare_digest(account.secret_key.encode(), key.encode()):
                    found = account
            return found

    # -- transactions ----------------------------------------------------------------------
    def create(self, account: Account, fields: dict, page_url: Callable[[str], str]) -> str:
        """Store an initialized transaction; returns its checkout URL. ApiError(400) for
        a tx_ref used before."""
        with self._lock:
            key = (account.account_id, fields["tx_ref"])
            if key in self._txs:
                raise ApiError(400, "Transaction reference has been used before")
            token = random_token(24)
            self._txs[key] = Transaction(fields["tx_ref"], account.account_id, account.mode,
                                         token, dict(fields), now())
            self._tokens[token] = key
            return page_url(token)

    def render(self, tx_ref: str, account_id: str | None, render) -> Any:
        """``render(tx)`` under the lock; ApiError(404) if unknown (for that account)."""
        with self._lock:
            return render(self._find(tx_ref, account_id))

    def render_token(self, token: str, render) -> Any:
        with self._lock:
            key = self._tokens.get(token)
            if key is None:
                raise ApiError(404, "Checkout page not found")
            return render(self._txs[key])

    def transactions(self, account_id: str | None = None, render=lambda tx: tx) -> list:
        with self._lock:
            return [render(t) for t in self._txs.values() if account_id in (None, t.account_id)]

    def listing(self, account_id: str, render) -> list:
        """The account's transactions, newest first, each ``render``ed (All Transactions)."""
        with self._lock:
            found = [t for t in self._txs.values() if t.account_id == account_id]
            found.sort(key=lambda t: t.created_at, reverse=True)
            return [render(t) for t in found]

    def record(self, account: Account, fields: dict, status: str,
               created_at: datetime | None) -> Transaction:
        """A final transaction made outside our product (a payment link, Chapa's
        dashboard), as the merchant's account holds it (admin). Sends nothing.
        ApiError(400) for a tx_ref used before."""
        with self._lock:
            key = (account.account_id, fields["tx_ref"])
            if key in self._txs:
                raise ApiError(400, "Transaction reference has been used before")
            moment = created_at or now()
            tx = Transaction(fields["tx_ref"], account.account_id, account.mode,
                             random_token(24), dict(fields), moment, status=status,
                             method="telebirr", updated_at=moment)
            self._txs[key] = tx
            return tx

    def decide(self, token: str, status: str) -> None:
        """The shopper paid (``success``) or was declined (``failed``) on the page."""
        with self._lock:
            key = self._tokens.get(token)
            if key is None:
                raise ApiError(404, "Checkout page not found")
            tx = self._txs[key]
            if tx.status == PENDING:
                self._finish(tx, status)

    def complete(self, tx_ref: str, account_id: str | None, status: str) -> None:
        """Force an outcome (admin); ApiError(409) if the transaction is not pending."""
        with self._lock:
            tx = self._find(tx_ref, account_id)
            if tx.status != PENDING:
                raise ApiError(409, "Transaction is not pending")
            self._finish(tx, status)

    def refund(self, account: Account, tx_ref: str, amount: Decimal | None,
               reason: str | None, reference: str | None) -> Refund:
        """Queue a refund (providers.md 2.6); it is processed after the delay.
        ApiError(404) unknown tx_ref, (400) not refundable or too much."""
        with self._lock:
            tx = self._find(tx_ref, account.account_id)
            if tx.status != SUCCESS:
                raise ApiError(400, "Only successful transactions can be refunded")
            left = tx.refundable()
            amount = left if amount is None else amount
            if amount <= 0 or amount > left:
                raise ApiError(400, f"The refund amount must be between 0.01 and {left:.2f}")
            refund = Refund("RF" + random_token(12), amount, reason, reference, now())
            tx.refunds.append(refund)
            self._scheduler.call_later(self.cfg.delay_seconds, self._process_refund, tx, refund)
            return refund

    def _find(self, tx_ref: str, account_id: str | None) -> Transaction:
        if account_id is not None:
            tx = self._txs.get((account_id, tx_ref))
        else:
            tx = next((t for (_a, ref), t in self._txs.items() if ref == tx_ref), None)
        if tx is None:
            raise ApiError(404, "Invalid transaction or Transaction not found")
        return tx

    # -- outcomes and what they send -------------------------------------------------------
    def _finish(self, tx: Transaction, status: str) -> None:
        tx.status, tx.method, tx.updated_at = status, "card", now()
        callback = tx.fields.get("callback_url")
        if callback:
            url = _with_query(callback, {"trx_ref": tx.tx_ref, "ref_id": tx.reference,
                                         "status": status})
            entry = {"url": url, "status": status, "attempts": []}
            tx.callbacks.append(entry)
            self._outbox.callback(url, self._recorder(entry))
        self._send_webhook(tx, EVENTS[status], status)

    def _process_refund(self, tx: Transaction, refund: Refund) -> None:
        with self._lock:
            if self._txs.get((tx.account_id, tx.tx_ref)) is not tx:
                return  # reset meanwhile
            refund.status, refund.processed_at = "processed", now()
            if tx.refunded() >= tx.amount:
                tx.status, tx.updated_at = REFUNDED, refund.processed_at
            self._send_webhook(tx, "charge.refunded", REFUNDED, refund)

    def _send_webhook(self, tx: Transaction, event: str, status: str,
                      refund: Refund | None = None) -> None:
        account = self._accounts.get(tx.account_id)
        if account is None or not account.webhook_url:
            return
        body, headers = signed(webhook_payload(tx, event, status, refund),
                               account.webhook_secret)
        entry = {"event": event, "status": status, "url": account.webhook_url,
                 "signed": bool(account.webhook_secret), "attempts": []}
        tx.webhooks.append(entry)
        self._outbox.webhook(self.cfg.delay_seconds, account.webhook_url, body, headers,
                             self._recorder(entry))

    def _recorder(self, entry: dict):
        def record(attempt: int, outcome: int | str) -> None:
            with self._lock:
                entry["attempts"].append({"attempt": attempt, "result": outcome})
        return record
