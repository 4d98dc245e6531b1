"""The product's Prometheus series (``prometheus_client``).

Every process records into its own values; under gunicorn and the worker supervisor set
``PROMETHEUS_MULTIPROC_DIR`` (the same empty directory for all of them, emptied before
they start) and ``/metrics`` adds up every process's files (the library's multiprocess
mode). Without it, ``/metrics`` shows this process only (one process, development).

Recording never fails a payment: the helpers here catch nothing because they cannot
fail short of a full disk, and the provider-call timer re-raises what the call raised.
"""
import logging
import time
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

log = logging.getLogger("checkout.provider")

PAYMENTS = Counter(
    "checkout_payments_total", "Payment attempts that reached a final state.",
    ["gateway", "method", "outcome"])
PROVIDER_CALLS = Counter(
    "checkout_provider_calls_total", "Calls to a provider's API, by what they ended in.",
    ["gateway", "kind", "outcome"])
PROVIDER_SECONDS = Histogram(
    "checkout_provider_call_seconds", "How long a provider's API took to answer.",
    ["gateway", "kind"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120))
POLLS = Counter(
    "checkout_polls_total", "Status polls of pending attempts.", ["gateway", "outcome"])
WEBHOOK_DELIVERIES = Counter(
    "checkout_webhook_deliveries_total", "Webhook delivery attempts to merchants.",
    ["outcome"])
WEBHOOK_SECONDS = Histogram(
    "checkout_webhook_delivery_seconds", "How long a merchant's endpoint took to answer.",
    ["outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
WEBHOOK_LATENCY = Histogram(
    "checkout_webhook_delivery_latency_seconds",
    "From the event to its successful delivery (retries included).",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600))
PAGE_SECONDS = Histogram(
    "checkout_page_render_seconds", "Time to build a shopper page.", ["page"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


def _outcome(exc):
    if exc is None:
        return "ok"
    name = type(exc).__name__
    return {"GatewayDeclined": "declined", "GatewayUnavailable": "unavailable",
            "GatewayAuthError": "auth_failed", "GatewayNotSupported": "not_supported",
            "WebhookVerificationError": "rejected"}.get(name, "error")


@contextmanager
def provider_call(gateway: str, kind: str, payment: str | None = None, **fields):
    """Time one call to a provider (``kind``: initiate, status, refund, refund_status...):
    the counter and histogram above, and one structured log line with the payment id,
    the gateway and the call's duration."""
    started = time.perf_counter()
    error = None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        seconds = time.perf_counter() - started
        outcome = _outcome(error)
        PROVIDER_CALLS.labels(gateway, kind, outcome).inc()
        PROVIDER_SECONDS.labels(gateway, kind).observe(seconds)
        log.info("provider call", extra={"gateway": gateway, "kind": kind, "payment": payment,
                                         "duration_ms": round(seconds * 1000, 1),
                                         "outcome": outcome, **fields})


def payment_finished(gateway: str, method: str, outcome: str) -> None:
    PAYMENTS.labels(gateway, method, outcome).inc()
