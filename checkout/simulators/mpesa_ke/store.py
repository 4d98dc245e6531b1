"""Daraja simulator state: apps, tokens, STK pushes with their timed outcomes and
callbacks, reversals with their asynchronous Results. Every public method is thread-safe
(one lock)."""
from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import current_app

from checkout.simulators._runtime import Scheduler, WebhookSender

from .keys import PRIVATE_KEY_PEM
from .models import ALNUM, Account, Push, Reversal, random_text, receipt, sandbox_account
from .rules import (
    BUSY,
    BUY_GOODS,
    EAT,
    INTERNAL,
    INVALID_TOKEN,
    LOCKED,
    MAX_SHILLINGS,
    PAYBILL,
    RESULTS,
    REVERSAL_RESULTS,
    SPIKE,
    DarajaConfig,
    DarajaError,
    bad,
    scenario_for,
)
from .shapes import reversal_result, stk_callback

_PRIVATE_KEY = serialization.load_pem_private_key(PRIVATE_KEY_PEM.encode(), password=None)
FAULTS = ("spike_arrest", "invalid_token")


def current_simulator() -> DarajaSimulator:
    return current_app.extensions["simulators"]["mpesa_ke"]


def decrypt_credential(credential: str) -> str | None:
    """The initiator password in a SecurityCredential (RSA PKCS#1 v1.5, base64), or
    None when it does not decrypt with the simulator's private key."""
    try:
        raw = base64.b64decode(credential, validate=True)
        return _PRIVATE_KEY.decrypt(raw, padding.PKCS1v15()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def now_utc() -> datetime:
    return datetime.now(UTC)


class DarajaSimulator:
    """All Daraja state of one simulator app."""

    def __init__(self, cfg: DarajaConfig) -> None:
        self.cfg = cfg
        self._lock = threading.RLock()
        self._scheduler = Scheduler("daraja-sim-timer")
        self._sender = WebhookSender(self._scheduler, timeout=cfg.callback_timeout_seconds,
                                     retries=cfg.callback_retries, retry_delay=1.0,
                                     name="daraja-sim-callbacks")
        self._accounts: dict[str, Account] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._pushes: dict[str, Push] = {}
        self._reversals: dict[str, Reversal] = {}
        self._last_push: dict[str, float] = {}
        self._faults: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every push, reversal, token, fault and timer; apps go back to the seed."""
        with self._lock:
            self._scheduler.clear()
            self._sender.clear()
            self._tokens.clear()
            self._pushes.clear()
            self._reversals.clear()
            self._last_push.clear()
            self._faults.clear()
            self._accounts = {aid: parse_account(aid, d) for aid, d in self.cfg.accounts.items()}

    def close(self) -> None:
        self._scheduler.stop()
        self._sender.stop()

    # -- apps and tokens -------------------------------------------------------------------
    def put_account(self, account: Account) -> bool:
        with self._lock:
            created = account.account_id not in self._accounts
            self._accounts[account.account_id] = account
            return created

    def get_account(self, account_id: str) -> Account | None:
        with self._lock:
            return self._accounts.get(account_id)

    def issue_token(self, key: str, secret: str) -> tuple[str, int]:
        """A token for the app of ``key`` (its secret checked); an unknown key gets a
        sandbox token when ``sandbox_open``. DarajaError(400, 400.008.01) otherwise."""
        with self._lock:
            account = next((a for a in self._accounts.values() if secrets.compare_digest(
                a.consumer_key.encode(), key.encode())), None)
            if account is not None and not secrets.compare_digest(
                    account.consumer_secret.encode(), secret.encode()):
                account = None
            elif account is None and self.cfg.sandbox_open and key and secret:
                account = sandbox_account()
            if account is None:
                raise DarajaError(400, "400.008.01", "Invalid Authentication passed")
            token = random_text(28, ALNUM)
            self._tokens[token] = (account.account_id, time.monotonic() + self.cfg.token_seconds)
            return token, self.cfg.token_seconds

    def account_for_token(self, token: str) -> Account:
        """The app of a Bearer token; DarajaError(404.001.03) when unknown or expired
        (or while an ``invalid_token`` fault is armed)."""
        with self._lock:
            if self._take_fault("invalid_token"):
                raise DarajaError(404, INVALID_TOKEN, "Invalid Access Token")
            account_id, until = self._tokens.get(token, ("", 0.0))
            account = sandbox_account() if account_id == "sandbox" \
                else self._accounts.get(account_id)
            if account is None or until < time.monotonic():
                raise DarajaError(404, INVALID_TOKEN, "Invalid Access Token")
            if self._take_fault("spike_arrest"):
                raise DarajaError(500, SPIKE, "Spike Arrest Violation")
            return account

    def arm_faults(self, counts: dict[str, int]) -> dict[str, int]:
        with self._lock:
            for name, count in counts.items():
                self._faults[name] = self._faults.get(name, 0) + count
            return dict(self._faults)

    def _take_fault(self, name: str) -> bool:
        if self._faults.get(name, 0) > 0:
            self._faults[name] -= 1
            return True
        return False

    # -- STK push --------------------------------------------------------------------------
    def push(self, account: Account, f: dict) -> Push:
        """Accept an STK push whose fields ``api`` validated (4.3): the shortcode must be
        the app's and the Password its passkey's; a second push to one number within
        ``lock_seconds`` is refused ("Unable to lock subscriber"); 06 fails with an
        internal error. The outcome follows after the scenario's delay."""
        with self._lock:
            if f["BusinessShortCode"] != account.shortcode:
                raise bad("BusinessShortCode")
            if not account.check_password(f["Password"], f["Timestamp"]):
                raise DarajaError(500, BUSY, "Wrong credentials")
            scenario = scenario_for(f["PhoneNumber"])
            if scenario.push_error:
                raise DarajaError(500, INTERNAL, "Internal Server Error")
            now = time.monotonic()
            last = self._last_push.get(f["PhoneNumber"])
            if last is not None and now - last < self.cfg.lock_seconds:
                raise DarajaError(500, BUSY, LOCKED)
            self._last_push[f["PhoneNumber"]] = now
            push = Push(self._new_checkout_id(), f"{secrets.randbelow(90000) + 10000}-"
                        f"{secrets.randbelow(9 * 10 ** 7) + 10 ** 7}-1", account.account_id,
                        f["BusinessShortCode"], f["TransactionType"], f["PartyB"], f["Amount"],
                        f["PhoneNumber"], f["CallBackURL"], f["AccountReference"],
                        f["TransactionDesc"], scenario, now_utc())
            push.planned_code = self._planned(account, push)
            self._pushes[push.checkout_request_id] = push
            delay = self.cfg.late_delay_seconds if scenario.late else \
                self.cfg.immediate_delay_seconds if scenario.immediate else self.cfg.delay_seconds
            if push.planned_code is not None:
                push.jobs.append(self._scheduler.call_later(delay, self._on_answer, push))
            elif self.cfg.no_answer_seconds is not None:
                push.planned_code = 1037
                push.jobs.append(self._scheduler.call_later(self.cfg.no_answer_seconds,
                                                            self._on_answer, push))
            return push

    def _planned(self, account: Account, push: Push) -> int | None:
        """Product assignment (2028), amount limit (3), the same amount to the same
        number within ``repeat_seconds`` after a success (17), else the scenario's."""
        till = push.transaction_type == BUY_GOODS
        allowed = {PAYBILL: account.shortcode} if account.account_type == "paybill" \
            else {BUY_GOODS: account.till_number}
        if account.sandbox:
            allowed = {PAYBILL: account.shortcode, BUY_GOODS: account.shortcode}
        if allowed.get(push.transaction_type) != push.party_b or (till and not push.party_b):
            return 2028
        if push.amount > MAX_SHILLINGS:
            return 3
        cutoff = self.cfg.repeat_seconds
        for other in self._pushes.values():
            if other.result_code == 0 and other.msisdn == push.msisdn and \
                    other.amount == push.amount and other.shortcode == push.shortcode and \
                    (now_utc() - other.completed_at).total_seconds() < cutoff:
                return 17
        return push.scenario.result_code

    def _new_checkout_id(self) -> str:
        while True:
            crid = "ws_CO_" + datetime.now(EAT).strftime("%d%m%Y%H%M%S") + \
                str(secrets.randbelow(10 ** 6)).zfill(6)
            if crid not in self._pushes:
                return crid

    def _on_answer(self, push: Push) -> None:
        with self._lock:
            if self._pushes.get(push.checkout_request_id) is push and not push.resolved:
                self._resolve(push, push.planned_code, None)

    def _resolve(self, push: Push, code: int, desc: str | None) -> None:
        push.result_code, push.completed_at = code, now_utc()
        push.result_desc = desc or RESULTS.get(code, "The transaction has failed.")
        if code == 0:
            push.receipt = receipt()
        body = stk_callback(push)

        def record(attempt: int, outcome: int | str) -> None:
            with self._lock:
                push.callbacks.append({"attempt": attempt, "result": outcome})

        for copy in range(push.scenario.callbacks):
            self._scheduler.call_later(
                self.cfg.callback_delay_seconds + copy * self.cfg.repeat_interval_seconds,
                self._sender.send, push.callback_url, body, record)

    def complete(self, checkout_request_id: str, code: int, desc: str | None) -> Push:
        """Force the shopper's answer now (admin); DarajaError(409) if already final."""
        with self._lock:
            push = self._require(checkout_request_id)
            if push.resolved:
                raise DarajaError(409, "409.000.01", "Transaction already completed")
            for job in push.jobs:
                self._scheduler.cancel(job)
            self._resolve(push, code, desc)
            return push

    def query(self, account: Account, f: dict) -> Push:
        """The STK query (4.5): 500 "being processed" until the push is resolved."""
        with self._lock:
            if f["BusinessShortCode"] != account.shortcode:
                raise bad("BusinessShortCode")
            if not account.check_password(f["Password"], f["Timestamp"]):
                raise DarajaError(500, BUSY, "Wrong credentials")
            push = self._pushes.get(f["CheckoutRequestID"])
            if push is None or push.shortcode != account.shortcode:
                raise bad("CheckoutRequestID")
            if not push.resolved:
                raise DarajaError(500, BUSY, "The transaction is being processed")
            return push

    def _require(self, checkout_request_id: str) -> Push:
        push = self._pushes.get(checkout_request_id)
        if push is None:
            raise DarajaError(404, "404.001.01", "Resource not found")
        return push

    def render(self, checkout_request_id: str, render):
        with self._lock:
            push = self._require(checkout_request_id)
            return render(push, self._reversals_of(push))

    def pushes(self, render) -> list:
        with self._lock:
            return [render(p, self._reversals_of(p)) for p in self._pushes.values()]

    def _reversals_of(self, push: Push) -> list[Reversal]:
        return [r for r in self._reversals.values() if push.receipt
                and r.transaction_id == push.receipt]

    # -- reversal --------------------------------------------------------------------------
    def reverse(self, account: Account, f: dict) -> Reversal:
        """Queue a reversal (Reversal page); its Result is POSTed to ResultURL after
        ``reversal_delay``: 2001 (initiator or SecurityCredential wrong), R000002 (no
        such receipt on this shortcode), R000001 (already reversed) or 0."""
        with self._lock:
            if f["ReceiverParty"] not in (account.shortcode, account.till_number):
                raise bad("ReceiverParty")
            original = self._by_receipt(account, f["TransactionID"])
            if original is not None and original.amount != f["Amount"]:
                raise bad("Amount")
            password = decrypt_credential(f["SecurityCredential"])
            ok = bool(account.initiator_name and account.initiator_password) and \
                f["Initiator"] == account.initiator_name and password is not None and \
                secrets.compare_digest(password.encode(), account.initiator_password.encode())
            rev = Reversal(f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-"
                           f"{secrets.token_hex(6)}{secrets.randbelow(10 ** 7)}",
                           "AG_" + datetime.now(EAT).strftime("%Y%m%d") + "_"
                           + secrets.token_hex(10), account.account_id, f["TransactionID"],
                           f["Amount"], f["ReceiverParty"], f["ResultURL"],
                           f["QueueTimeOutURL"], f["Remarks"], f.get("Occasion"), ok, now_utc())
            self._reversals[rev.originator_conversation_id] = rev
            self._scheduler.call_later(self.cfg.reversal_delay, self._finish_reversal, rev,
                                       account.shortcode)
            return rev

    def _by_receipt(self, account: Account, receipt_no: str) -> Push | None:
        return next((p for p in self._pushes.values() if p.receipt == receipt_no
                     and p.shortcode == account.shortcode and p.result_code == 0), None)

    def reversal(self, ocid: str, render):
        with self._lock:
            rev = self._reversals.get(ocid)
            if rev is None:
                raise DarajaError(404, "404.001.01", "Resource not found")
            return render(rev)

    def _finish_reversal(self, rev: Reversal, shortcode: str) -> None:
        with self._lock:
            if self._reversals.get(rev.originator_conversation_id) is not rev:
                return
            account = self._accounts.get(rev.account_id) or sandbox_account()
            original = self._by_receipt(account, rev.transaction_id)
            if not rev.credential_ok:
                code = "2001"
            elif original is None:
                code = "R000002"
            elif original.reversed_by is not None:
                code = "R000001"
            else:
                code, original.reversed_by, rev.receipt = "0", rev.originator_conversation_id, \
                    receipt()
            rev.result_code, rev.result_desc = code, REVERSAL_RESULTS[code]
            body = reversal_result(rev, original, shortcode)

            def record(attempt: int, outcome: int | str) -> None:
                with self._lock:
                    rev.deliveries.append({"attempt": attempt, "result": outcome})

            self._sender.send(rev.result_url, body, record)


def parse_account(account_id: str, data: object) -> Account:
    """Validate an app registration (consumer_key, consumer_secret, shortcode, passkey,
    optional account_type, till_number, initiator_name, initiator_password); raises
    DarajaError(400)."""
    if not isinstance(data, dict):
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid JSON body")
    for field in ("consumer_key", "consumer_secret", "shortcode", "passkey"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise DarajaError(400, "400.002.02", f"Bad Request - Invalid {field}")
    kind = data.get("account_type") or "paybill"
    till = data.get("till_number") or None
    if kind not in ("paybill", "till") or (kind == "till" and not isinstance(till, str)):
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid account_type/till_number")
    extras = {k: data.get(k) if isinstance(data.get(k), str) and data.get(k) else None
              for k in ("initiator_name", "initiator_password")}
    return Account(account_id, data["consumer_key"].strip(), data["consumer_secret"].strip(),
                   data["shortcode"].strip(), data["passkey"].strip(), kind, till, **extras)
