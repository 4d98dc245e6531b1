"""``GET /metrics``: the Prometheus page, for the people who run the product.

Protected by a bearer token (``METRICS_TOKEN``, compared in constant time); with no token
configured the page does not exist (404), so a fresh install exposes nothing. Besides
the counters every process records (added up across processes in multiprocess mode,
see ``metrics``), a few gauges are read at scrape time from where the truth lives: the
poll lag and the number of polls due (the database), the queue depths (Redis) and each
operator's recent success rate (``health``).
"""
import hmac
import logging
import os

import redis
from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import all_methods
from checkout.jobs.queue import BLOCKING_QUEUE, get_queue
from checkout.models import Payment
from checkout.payments.state import PaymentStatus

from . import health

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics_page():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("unauthorized\n", 401, {"WWW-Authenticate": "Bearer"})
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    now = CollectorRegistry()
    now.register(_ScrapeTime(current_app.config.get("RQ_QUEUES", ["default"])))
    body = generate_latest(counters) + generate_latest(now)
    return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST,
                                "Cache-Control": "no-store"})


class _ScrapeTime:
    """Gauges read when scraped (never stale, never summed across processes)."""

    def __init__(self, queues):
        self.queues = [*queues, BLOCKING_QUEUE]

    def collect(self):
        yield from self._polls()
        yield from self._queues()
        yield from self._operators()

    def _polls(self):
        lag = GaugeMetricFamily("checkout_poll_lag_seconds",
                                "How late the most overdue planned poll is (0: none due).")
        due = GaugeMetricFamily("checkout_polls_due", "Pending attempts whose poll is due.")
        try:
            now = utcnow()
            oldest, count = db.session.execute(
                db.select(func.min(Payment.next_poll_at), func.count())
                .where(Payment.status == PaymentStatus.PENDING, Payment.next_poll_at <= now)
            ).one()
            db.session.rollback()
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.warning("metrics: database unreadable", extra={"error": str(exc)[:200]})
            return
        lag.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        due.add_metric([], count)
        yield lag
        yield due

    def _queues(self):
        depth = GaugeMetricFamily("checkout_queue_depth", "Jobs waiting in a queue.",
                                  labels=["queue"])
        scheduled = GaugeMetricFamily("checkout_queue_scheduled",
                                      "Jobs scheduled for later in a queue.", labels=["queue"])
        try:
            for name in self.queues:
                queue = get_queue(name)
                depth.add_metric([name], queue.count)
                scheduled.add_metric([name], queue.scheduled_job_registry.count)
        except redis.RedisError as exc:
            log.warning("metrics: Redis unreadable", extra={"error": str(exc)})
            return
        yield depth
        yield scheduled

    def _operators(self):
        rate = GaugeMetricFamily(
            "checkout_operator_success_ratio",
            "Share of an operator's recent attempts that succeeded (its own failures only).",
            labels=["operator"])
        degraded = GaugeMetricFamily(
            "checkout_operator_degraded", "1 when an operator fails well below its normal.",
            labels=["operator"])
        operators = {m.operator_key for m in all_methods().values()
                     if m.kind == "mobile_money"}
        for op, state in sorted(health.status(operators).items()):
            if state["recent_success_rate"] is not None:
                rate.add_metric([op], state["recent_success_rate"])
            degraded.add_metric([op], 1.0 if state["status"] == "degraded" else 0.0)
        yield rate
        yield degraded
