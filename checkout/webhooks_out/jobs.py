"""RQ jobs of outgoing webhooks. Module-level functions taking ids; safe to run twice.

``deliver(delivery_id)`` sends one attempt; ``sweep_deliveries()`` re-enqueues due
deliveries whose job vanished (Redis flushed, worker killed); ``purge_events()``
deletes events past their retention. The database says what is due: the queue only
carries hints, and losing them loses nothing.
"""
import itertools
import logging
import time
from dataclasses import replace
from datetime import timedelta

from flask import current_app

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.jobs.queue import delivery_job_id, ensure_job, get_queue
from checkout.models import Event, WebhookAttempt, WebhookDelivery
from checkout.models.webhooks import DeliveryStatus
from checkout.observability import metrics
from checkout.redis_store import redis_connection

from . import attempts, deliveries, ssrf, transport
from .signing import signature_header

log = logging.getLogger(__name__)

USER_AGENT = "Checkout-Webhooks/1.0 (+https://www.standardwebhooks.com)"
CONNECT_TIMEOUT, READ_TIMEOUT = 3.0, 10.0
MAX_RESPONSE_BYTES = 1024
SWEEP_GRACE_SECONDS = 30
SWEEP_BATCH = 500
RETENTION_DAYS = 30       # the minimum: a shorter setting is raised to this
PURGE_EVERY_SECONDS = 3600
PURGE_MAX_BATCHES = 20


def deliver(delivery_id: str) -> str:
    """Send the next attempt of a delivery, if it is pending and due.

    Two transactions around the HTTP call: the claim (row lock, attempt counted and
    logged, lease taken) commits before sending, the outcome commits after; no lock is
    held while waiting on the merchant. A duplicate or early job finds the delivery
    done or not due and does nothing. Never raises for the merchant's failures."""
    claim = attempts.claim(delivery_id)
    db.session.commit()
    if claim is None:
        return "skipped"
    result = send(claim)
    outcome = "succeeded" if result.ok else "failed"
    metrics.WEBHOOK_DELIVERIES.labels(outcome).inc()
    metrics.WEBHOOK_SECONDS.labels(outcome).observe((result.duration_ms or 0) / 1000)
    attempts.record(claim, result)
    if result.ok:
        created = db.session.get(WebhookDelivery, delivery_id).created_at
        metrics.WEBHOOK_LATENCY.observe(max(0.0, (utcnow() - created).total_seconds()))
    db.session.commit()
    return outcome


def send(claim: attempts.Claim) -> transport.SendResult:
    """Check the URL again (the address may have changed since the endpoint was saved),
    sign, and POST to the checked address. Returns a transport.SendResult."""
    cfg = current_app.config
    try:
        target = ssrf.pin(claim.url, claim.livemode, cfg)
    except ssrf.UnsafeUrl as exc:
        return transport.SendResult(duration_ms=0, error=f"not sent: {exc.message}"[:200])
    timestamp = int(time.time())
    headers = {
        "webhook-id": claim.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(claim.msg_id, timestamp, claim.body, claim.secrets),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    public = ssrf.is_public(target.address)
    result = transport.post(target, claim.body, headers,
                            connect_timeout=cfg.get("WEBHOOK_CONNECT_TIMEOUT", CONNECT_TIMEOUT),
                            read_timeout=cfg.get("WEBHOOK_READ_TIMEOUT", READ_TIMEOUT),
                            max_body=MAX_RESPONSE_BYTES if public else 0)
    if public:
        return result
    # A local receiver (development, or the operator's opt-in): its status is kept, never
    # what it said, so that a webhook endpoint cannot be used to read internal services.
    error = result.error
    if error and result.status_code is not None:
        error = "redirect not followed"
    return replace(result, body=None, error=error)


def sweep_deliveries(limit: int = SWEEP_BATCH) -> int:
    """Re-enqueue pending deliveries due for more than the grace period whose job is
    not alive in Redis (flushed, lost with a dead worker, or a lease that expired
    mid-send); a live job is left alone (``jobs.queue.ensure_job``). Added to the
    sweeper by ``create_app``. Safe at any time, in any number of processes: the job
    skips a delivery that is not due. Returns how many were re-enqueued."""
    grace = current_app.config.get("WEBHOOK_SWEEP_GRACE_SECONDS", SWEEP_GRACE_SECONDS)
    now = utcnow()
    rows = db.session.execute(
        db.select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING,
               db.or_(WebhookDelivery.next_attempt_at.is_(None),
                      WebhookDelivery.next_attempt_at <= now - timedelta(seconds=grace)))
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)).all()
    db.session.commit()  # no transaction held across the Redis calls
    queue = get_queue()
    count = 0
    for row in rows:
        if ensure_job(deliver, row.id, job_id=delivery_job_id(row.id, row.attempts),
                      queue=queue, job_timeout=deliveries.JOB_TIMEOUT):
            count += 1
    if count:
        log.info("webhook sweeper re-enqueued %d deliveries", count)
    return count


def purge_events(batch: int = 1000, max_batches: int | None = None) -> int:
    """Delete events older than ``EVENT_RETENTION_DAYS`` (at least 30 days) with their
    deliveries and attempts, in batches, committing each. An event with a delivery
    still pending is kept. Returns how many events were deleted."""
    days = max(RETENTION_DAYS,
               int(current_app.config.get("EVENT_RETENTION_DAYS", RETENTION_DAYS)))
    cutoff = utcnow() - timedelta(days=days)
    pending = db.select(WebhookDelivery.event_id).where(
        WebhookDelivery.status == DeliveryStatus.PENDING)
    total = 0
    for _ in itertools.count() if max_batches is None else range(max_batches):
        ids = db.session.execute(
            db.select(Event.id).where(Event.created_at < cutoff, Event.id.not_in(pending))
            .limit(batch)).scalars().all()
        if not ids:
            return total
        doomed = db.select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(ids))
        db.session.execute(db.delete(WebhookAttempt)
                           .where(WebhookAttempt.delivery_id.in_(doomed)))
        db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(ids)))
        db.session.execute(db.delete(Event).where(Event.id.in_(ids)))
        db.session.commit()
        total += len(ids)
    return total


def purge_events_hourly() -> int:
    """The sweeper's hook for :func:`purge_events`: runs it at most once an hour across
    all processes (a Redis key), a bounded amount per run."""
    if not redis_connection().set("webhooks:purge-events", "1", nx=True,
                                  ex=PURGE_EVERY_SECONDS):
        return 0
    return purge_events(max_batches=PURGE_MAX_BATCHES)

