"""Chapa simulator: what it sends out, from a background thread.

Signed webhooks (the exact bytes sent are signed; retried while not answered 2xx, every
retry interval, up to the attempt limit: providers.md 2.5) and the GET callback of 2.3
(one attempt). Timers run on the shared ``Scheduler``; sending never blocks a request.
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
Recorder = Callable[[int, int | str], None]


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed(payload: dict, secret: str | None) -> tuple[bytes, dict]:
    """Compact JSON bytes and Chapa's two signature headers (none without a secret):
    ``x-chapa-signature`` over the bytes, ``chapa-signature`` over the secret itself."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["x-chapa-signature"] = sign(secret, body)
        headers["chapa-signature"] = sign(secret, secret.encode())
    return body, headers


@dataclasses.dataclass(frozen=True)
class Delivery:
    method: str                      # POST (webhook) | GET (callback)
    url: str
    body: bytes | None
    headers: dict
    record: Recorder | None
    attempts_allowed: int
    attempt: int = 1


class Outbox:
    """Sends webhooks and callbacks on one daemon thread; thread-safe."""

    def __init__(self, scheduler: Scheduler, *, timeout: float,
                 retry_seconds: float, max_attempts: int) -> None:
        self._scheduler = scheduler
        self._timeout = timeout
        self._retry_seconds = retry_seconds
        self._max_attempts = max_attempts
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def webhook(self, delay: float, url: str, body: bytes, headers: dict,
                record: Recorder | None = None) -> None:
        """POST ``body`` to ``url`` in ``delay`` seconds, retried until a 2xx."""
        delivery = Delivery("POST", url, body, {"User-Agent": "chapa-simulator/1", **headers},
                            record, self._max_attempts)
        self._scheduler.call_later(delay, self._put, delivery)

    def callback(self, url: str, record: Recorder | None = None) -> None:
        """GET ``url`` now (in the background), once."""
        self._put(Delivery("GET", url, None, {"User-Agent": "chapa-simulator/1"}, record, 1))

    def clear(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def stop(self) -> None:
        self._queue.put(None)

    def _put(self, delivery: Delivery) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="chapa-sim-outbox",
                                                daemon=True)
                self._thread.start()
        self._queue.put(delivery)

    def _run(self) -> None:
        session = requests.Session()
        session.trust_env = False    # a local test tool: never through a proxy
        while (delivery := self._queue.get()) is not None:
            self._send(session, delivery)

    def _send(self, session: requests.Session, d: Delivery) -> None:
        try:
            resp = session.request(d.method, d.url, data=d.body, headers=d.headers,
                                   timeout=(self._timeout, self._timeout),
                                   allow_redirects=False)
            outcome: int | str = resp.status_code
            ok = 200 <= resp.status_code < 300
        except requests.RequestException as exc:
            outcome, ok = type(exc).__name__, False
        if d.record is not None:
            try:
                d.record(d.attempt, outcome)
            except Exception:
                log.exception("chapa simulator: recording a delivery failed")
        if ok:
            return
        log.warning("chapa simulator: %s %s failed (attempt %d): %s", d.method, d.url,
                    d.attempt, outcome)
        if d.attempt < d.attempts_allowed:
            retry = dataclasses.replace(d, attempt=d.attempt + 1)
            self._scheduler.call_later(self._retry_seconds, self._put, retry)
