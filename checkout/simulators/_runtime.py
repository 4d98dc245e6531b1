"""Plumbing shared by the provider simulators (never by the product's adapters).

A timer scheduler, an outbound webhook sender and the JSON error handlers. Threads start lazily
on first use, so building the app starts nothing (safe before a fork).
"""
from __future__ import annotations

import dataclasses
import heapq
import itertools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class Scheduler:
    """Runs callables after a delay, one at a time, on a single daemon thread."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[..., Any], tuple]] = []
        self._cancelled: set[int] = set()
        self._seq = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._stopped = False

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> int:
        """Schedule ``fn(*args)`` in ``delay`` seconds; returns a job id for :meth:`cancel`."""
        with self._cond:
            job = next(self._seq)
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), job, fn, args))
            self._ensure_thread()
            self._cond.notify()
            return job

    def cancel(self, job: int) -> None:
        with self._cond:
            if any(entry[1] == job for entry in self._heap):
                self._cancelled.add(job)

    def clear(self) -> None:
        """Drop every job not yet run."""
        with self._cond:
            self._heap.clear()
            self._cancelled.clear()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, job, fn, args = heapq.heappop(self._heap)
                if job in self._cancelled:
                    self._cancelled.discard(job)
                    continue
            try:
                fn(*args)
            except Exception:  # a broken job must not kill the scheduler
                log.exception("simulator job %s failed", job)


@dataclasses.dataclass(frozen=True)
class Delivery:
    url: str
    payload: dict
    on_result: Callable[[int, int | str], None] | None = None
    attempt: int = 1


class WebhookSender:
    """Posts JSON webhooks from a background thread; failed deliveries are retried a few times.

    Sends no signature and no auth header (callers add headers only if their provider does).
    ``on_result(attempt, status_code_or_error_name)`` is called after every attempt.
    """

    def __init__(self, scheduler: Scheduler, *, timeout: float, retries: int,
                 retry_delay: float, name: str, headers: dict | None = None) -> None:
        self._scheduler = scheduler
        self._timeout = timeout
        self._retries = retries
        self._retry_delay = retry_delay
        self._name = name
        self._headers = {"User-Agent": "payment-simulator/1", **(headers or {})}
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def send(self, url: str, payload: dict,
             on_result: Callable[[int, int | str], None] | None = None) -> None:
        self._ensure_thread()
        self._queue.put(Delivery(url, payload, on_result))

    def clear(self) -> None:
        """Forget queued deliveries (retries live in the scheduler and are cleared with it)."""
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
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        session = requests.Session()
        session.trust_env = False  # a local test tool: never route webhooks through a proxy
        while (delivery := self._queue.get()) is not None:
            self._deliver(session, delivery)

    def _deliver(self, session: requests.Session, d: Delivery) -> None:
        try:
            resp = session.post(d.url, json=d.payload, headers=self._headers,
                                timeout=(self._timeout, self._timeout), allow_redirects=False)
            outcome: int | str = resp.status_code
            ok = 200 <= resp.status_code < 300
        except requests.RequestException as exc:
            outcome, ok = type(exc).__name__, False
        if d.on_result is not None:
            try:
                d.on_result(d.attempt, outcome)
            except Exception:
                log.exception("webhook result callback failed")
        if ok:
            return
        log.warning("webhook to %s failed (attempt %d): %s", d.url, d.attempt, outcome)
        if d.attempt <= self._retries:
            retry = dataclasses.replace(d, attempt=d.attempt + 1)
            self._scheduler.call_later(self._retry_delay, self._queue.put, retry)


def env_float(name: str) -> float | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None


def register_json_errors(app: Flask) -> None:
    """Every error leaves as JSON ``{"message": ...}``: never an HTML page, never a trace."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return jsonify(message=exc.name), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("simulator error")
        return jsonify(message="Internal Server Error"), 500


def add_latency(app: Flask, prefixes: dict[str, str], config: dict | None = None) -> None:
    """Delay every provider-API answer by the configured latency, as a real provider's
    network and processing would: ``SIM_LATENCY_MS`` (or ``config["latency_ms"]``) for
    every simulator, ``SIM_LATENCY_MS_<NAME>`` (or ``config[name]["latency_ms"]``) for
    one of them (``prefixes``: name -> URL prefix). ``PUT /_sim/latency`` with
    ``{"latency_ms": 500, "providers": {"<name>": 0}}`` changes it while running (a
    benchmark starts its payments fast, then slows the status calls). Simulator controls
    (``/_sim/``) answer at once. ``PUT /_sim/outage`` makes providers answer 500 for a
    while (a provider down, then back)."""
    config = config or {}

    def number(value: Any) -> float | None:
        return float(value) if value not in (None, "") else None

    default = number(config.get("latency_ms", os.environ.get("SIM_LATENCY_MS"))) or 0.0
    delays = {}
    for name, prefix in prefixes.items():
        own = number((config.get(name) or {}).get(
            "latency_ms", os.environ.get(f"SIM_LATENCY_MS_{name.upper()}")))
        delays[prefix] = default if own is None else own
    app.extensions["simulator_latency"] = delays

    @app.put("/_sim/latency")
    def _set_latency():
        body = request.get_json(silent=True) or {}
        try:
            every = number(body.get("latency_ms"))
            own = {prefixes[n]: float(ms) for n, ms in (body.get("providers") or {}).items()}
        except (KeyError, TypeError, ValueError):
            return jsonify(message="latency_ms: milliseconds; providers: {name: ms}"), 400
        for prefix in delays:
            delays[prefix] = own.get(prefix, every if every is not None else delays[prefix])
        return jsonify({name: delays[prefix] for name, prefix in prefixes.items()})

    outage: dict[str, float] = {}      # prefix -> monotonic time the outage ends

    @app.put("/_sim/outage")
    def _set_outage():
        """``{"seconds": 60, "providers": ["feexpay"]}``: every API call of those providers
        (all of them without ``providers``) answers 500 for that long, as a provider
        that is down does; ``{"seconds": 0}`` ends it."""
        body = request.get_json(silent=True) or {}
        try:
            seconds = float(body.get("seconds", 0))
            names = body.get("providers") or list(prefixes)
            chosen = [prefixes[n] for n in names]
        except (KeyError, TypeError, ValueError):
            return jsonify(message="seconds: a number; providers: a list of names"), 400
        until = time.monotonic() + seconds
        for prefix in chosen:
            outage[prefix] = until
        return jsonify({name: max(0.0, outage.get(p, 0) - time.monotonic())
                        for name, p in prefixes.items()})

    @app.before_request
    def _delay():
        path = request.path
        if "/_sim/" in path:
            return None
        for prefix, ms in delays.items():
            if path.startswith(prefix + "/"):
                if ms:
                    time.sleep(ms / 1000.0)
                if outage.get(prefix, 0) > time.monotonic():
                    return jsonify(message="Internal Server Error"), 500
                break
        return None
