"""Paystack simulator: signed webhooks (providers.md 3.5).

Each event is serialised once; those exact bytes are signed (``x-paystack-signature`` =
hex HMAC-SHA512 keyed by the account's secret key) and sent on every attempt. An attempt
that gets no 2xx is retried on the configured schedule (4 x 3 min, then hourly), from
one delivery thread so that a slow receiver never holds the simulator's timers.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import queue
import threading
from collections.abc import Callable

import requests

from checkout.simulators._runtime import Scheduler

log = logging.getLogger(__name__)


def sign(secret_key: str, body: bytes) -> str:
    return hmac.new(secret_key.encode(), body, hashlib.sha512).hexdigest()


@dataclasses.dataclass(frozen=True)
class Delivery:
    url: str
    body: bytes
    signature: str
    record: Callable[[int, int | str], None] | None
    attempt: int = 1


class Hooks:
    """Signed deliveries with Paystack's retry schedule (delays in seconds)."""

    def __init__(self, scheduler: Scheduler, timeout: float, retry_delays: list[float]) -> None:
        self._scheduler = scheduler
        self._timeout = timeout
        self._delays = list(retry_delays)
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def send(self, url: str, secret_key: str, event: dict,
             record: Callable[[int, int | str], None] | None = None) -> None:
        """Queue ``event`` for ``url`` now (callers delay with the scheduler)."""
        body = json.dumps(event, separators=(",", ":")).encode()
        self._ensure_thread()
        self._queue.put(Delivery(url, body, sign(secret_key, body), record))

    def clear(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def stop(self) -> None:
        self._queue.put(None)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="paystack-sim-webhooks",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        session = requests.Session()
        session.trust_env = False          # a local test tool: never through a proxy
        while (delivery := self._queue.get()) is not None:
            self._deliver(session, delivery)

    def _deliver(self, session: requests.Session, d: Delivery) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "paystack-simulator/1",
                   "x-paystack-signature": d.signature}
        try:
            resp = session.post(d.url, data=d.body, headers=headers, allow_redirects=False,
                                timeout=(self._timeout, self._timeout))
            outcome: int | str = resp.status_code
            ok = 200 <= resp.status_code < 300
        except requests.RequestException as exc:
            outcome, ok = type(exc).__name__, False
        if d.record is not None:
            d.record(d.attempt, outcome)
        if ok:
            return
        log.warning("paystack webhook to %s failed (attempt %d): %s", d.url, d.attempt, outcome)
        if d.attempt <= len(self._delays):
            retry = dataclasses.replace(d, attempt=d.attempt + 1)
            self._scheduler.call_later(self._delays[d.attempt - 1], self._queue.put, retry)
