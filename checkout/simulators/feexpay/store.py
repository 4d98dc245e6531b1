"""FeexPay simulator state: shops, transactions, timed transitions and webhooks (in memory)."""
from __future__ import annotations

import logging
import secrets
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from checkout.simulators._runtime import Scheduler, WebhookSender

from .models import FINAL, Shop, Transaction, random_digits
from .rules import IN_PENDING, NETWORKS, ApiError, FeexPayConfig, Network, scenario_for
from .shapes import webhook_payload

log = logging.getLogger(__name__)


def current_simulator() -> FeexPaySimulator:
    """The FeexPay simulator of the app serving the current request."""
    return current_app.extensions["simulators"]["feexpay"]


def _now() -> datetime:
    return datetime.now(UTC)


def parse_shop(shop_id: str, data: Any) -> Shop:
    """Validate an admin shop registration; raises ApiError(400)."""
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON body")
    api_key, url, nets = data.get("api_key"), data.get("webhook_url"), data.get("networks")
    if not isinstance(api_key, str) or not api_key:
        raise ApiError(400, "api_key is required")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise ApiError(400, "webhook_url must be an http(s) URL or null")
    if nets is not None:
        if not isinstance(nets, list) or any(n not in NETWORKS for n in nets):
            raise ApiError(400, "networks must be null or a list of known network segments")
    return Shop(shop_id, api_key, url, None if nets is None else list(nets))


class FeexPaySimulator:
    """All FeexPay state of one simulator app; every method is thread-safe."""

    def __init__(self, cfg: FeexPayConfig) -> None:
        self.cfg = cfg
        self._lock = threading.RLock()
        self._scheduler = Scheduler("feexpay-sim-timer")
        self._sender = WebhookSender(
            self._scheduler, timeout=cfg.webhook_timeout_seconds, retries=cfg.webhook_retries,
            retry_delay=cfg.webhook_retry_delay_seconds, name="feexpay-sim-webhooks")
        self._shops: dict[str, Shop] = {}
        self._txs: dict[str, Transaction] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every transaction and pending timer; shops go back to the configured seed."""
        with self._lock:
            self._scheduler.clear()
            self._sender.clear()
            self._txs.clear()
            self._shops = {sid: parse_shop(sid, d) for sid, d in self.cfg.shops.items()}

    def close(self) -> None:
        self._scheduler.stop()
        self._sender.stop()

    # -- shops -----------------------------------------------------------------------------
    def put_shop(self, shop: Shop) -> bool:
        """Register or replace a shop; True when it is new."""
        with self._lock:
            created = shop.shop_id not in self._shops
            self._shops[shop.shop_id] = shop
            return created

    def get_shop(self, shop_id: str) -> Shop | None:
        with self._lock:
            return self._shops.get(shop_id)

    def shop_for_key(self, api_key: str) -> Shop | None:
        with self._lock:
            return next((s for s in self._shops.values()
                         if secrets.compare_digest(s.api_key.encode(), api_key.encode())), None)

    # -- transactions ----------------------------------------------------------------------
    def get(self, reference: str) -> Transaction | None:
        with self._lock:
            return self._txs.get(reference)

    def render(self, reference: str, shop_id: str | None, render) -> Any:
        """``render(tx)`` under the lock; ApiError(404) if unknown or owned by another shop."""
        with self._lock:
            tx = self._txs.get(reference)
            if tx is None or shop_id not in (None, tx.shop_id):
                raise ApiError(404, "Transaction not found")
            return render(tx)

    def transactions(self, shop_id: str | None = None, render=lambda tx: tx) -> list:
        """``render(tx)`` for every transaction (of ``shop_id`` if given), under the lock."""
        with self._lock:
            return [render(t) for t in self._txs.values() if shop_id in (None, t.shop_id)]

    def create(self, shop: Shop, network: Network, body: dict, pay_url_for) -> Transaction:
        """Store a new payin and start its scenario; raises ApiError(502) for magic ``06``."""
        scenario = scenario_for(body["phoneNumber"])
        if scenario.init_http_error:
            message = "Celtiis BJ API Error" if network.segment == "celtiis_bj" \
                else "Operator unreachable, nothing was debited"
            raise ApiError(scenario.init_http_error, message)
        with self._lock:
            reference = self._new_reference(network)
            tx = Transaction(reference, shop.shop_id, network, scenario, dict(body), _now())
            self._txs[reference] = tx
            if network.redirect and not body.get("otp"):
                tx.payment_url = pay_url_for(reference)
                tx.awaiting_shopper = True
            else:
                self._start(tx)
            return tx

    def shopper_decides(self, reference: str, approve: bool) -> Transaction:
        """The payer acts on the Wave/Orange page: approval starts the scenario, refusal fails."""
        with self._lock:
            tx = self._require(reference)
            if tx.awaiting_shopper:
                tx.awaiting_shopper = False
                if approve:
                    self._start(tx)
                else:
                    self._finish(tx, "FAILED", "DECLINED", operator_status="DECLINED")
            return tx

    def complete(self, reference: str, status: str, reason: str | None) -> Transaction:
        """Force a final outcome now (admin); raises ApiError(409) if already final."""
        with self._lock:
            tx = self._require(reference)
            if tx.status in FINAL:
                raise ApiError(409, "Transaction already final")
            for job in tx.jobs:
                self._scheduler.cancel(job)
            tx.awaiting_shopper = False
            if status == "FAILED":
                reason = reason or "DECLINED"
            self._finish(tx, status, reason if status == "FAILED" else None,
                         operator_status=status)
            return tx

    def _require(self, reference: str) -> Transaction:
        tx = self._txs.get(reference)
        if tx is None:
            raise ApiError(404, "Transaction not found")
        return tx

    def _new_reference(self, network: Network) -> str:
        while True:
            if network.segment == "celtiis_bj":
                ref = f"AG_{_now():%Y%m%d}_{random_digits(16)}"
            else:
                ref = str(uuid.uuid4())
            if ref not in self._txs:
                return ref

    # -- timeline --------------------------------------------------------------------------
    def _start(self, tx: Transaction) -> None:
        sc, delay = tx.scenario, self.cfg.delay_seconds
        if sc.immediate_on and tx.network.segment in sc.immediate_on:
            self._finish(tx, sc.outcome, sc.reason)
            return
        tx.jobs.append(self._scheduler.call_later(delay / 2, self._on_timer, tx, "half"))
        if sc.outcome is not None:
            final_delay = self.cfg.late_delay_seconds if sc.late else delay
            tx.jobs.append(self._scheduler.call_later(final_delay, self._on_timer, tx, "final"))

    def _on_timer(self, tx: Transaction, step: str) -> None:
        with self._lock:
            if self._txs.get(tx.reference) is not tx or tx.status in FINAL:
                return  # reset or forced meanwhile
            if step == "final":
                self._finish(tx, tx.scenario.outcome, tx.scenario.reason)
                return
            tx.status = IN_PENDING
            tx.operator_status = tx.scenario.operator_status or "PENDING"
            if tx.scenario.webhooks == "early_and_twice":
                self._send_webhook(tx, claimed=("SUCCESSFUL", None))

    def _finish(self, tx: Transaction, status: str, reason: str | None,
                operator_status: str | None = None) -> None:
        tx.status, tx.reason, tx.finished_at = status, reason, _now()
        tx.operator_status = operator_status or tx.scenario.operator_status or status
        tx.responsemsg = status
        tx.responsecode = "00" if status == "SUCCESSFUL" else \
            {"LOW_BALANCE": "10", "DECLINED": "92"}.get(reason or "", "99")
        tx.serviceref = random_digits(12) if status == "SUCCESSFUL" else None
        count = {"none": 0, "early_and_twice": 2}.get(tx.scenario.webhooks, 1)
        for _ in range(count):
            self._send_webhook(tx)

    def _send_webhook(self, tx: Transaction, claimed: tuple[str, str | None] | None = None) -> None:
        shop = self._shops.get(tx.shop_id)
        if shop is None or not shop.webhook_url:
            return
        status, reason = claimed or (tx.status, tx.reason)
        payload = webhook_payload(tx, status, reason)
        entry = {"status_claimed": status, "status_at_send": tx.status, "url": shop.webhook_url,
                 "attempts": []}
        tx.webhooks.append(entry)

        def record(attempt: int, outcome: int | str) -> None:
            with self._lock:
                entry["attempts"].append({"attempt": attempt, "result": outcome})

        self._sender.send(shop.webhook_url, payload, record)

