"""Delivery rows: one per (event, endpoint), created in the event's transaction by the
fan-out listener, or by a redelivery. Everything here only flushes; the caller commits.

Invariants: a delivery is ``pending`` until a 2xx (``succeeded``), the end of the retry
schedule or its endpoint's disabling (``failed``), or its endpoint's deletion
(``canceled``); it is never changed after. Its ``next_attempt_at`` is always when it is
next due, so the database alone says what must still be sent (``attempts`` sends them).

Locks: a delivery row is locked before its endpoint's row. Changes to every pending
delivery of an endpoint (:func:`close_pending`) leave out deliveries with an attempt in
flight (the attempt settles them, seeing the endpoint's new state) and skip locked
rows, so they never wait on a delivery while holding the endpoint.
"""
from collections.abc import Collection
from datetime import datetime, timedelta

from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.jobs.queue import DELIVER_WEBHOOK, delivery_job_id, enqueue_after_commit
from checkout.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from checkout.models.webhooks import DeliveryStatus

from . import schedule

JOB_TIMEOUT = 60          # RQ's limit; an attempt is cut at connect + read timeouts (13 s)


def subscribed(endpoint_events: Collection[str], event_type: str) -> bool:
    return "*" in endpoint_events or event_type in endpoint_events


def fan_out(event: Event) -> None:
    """Event listener (added by ``create_app``): one pending delivery per enabled endpoint of the
    event's merchant and mode subscribed to its type, in the event's transaction."""
    endpoints = db.session.execute(
        db.select(WebhookEndpoint).where(
            WebhookEndpoint.merchant_id == event.merchant_id,
            WebhookEndpoint.livemode == event.livemode,
            WebhookEndpoint.enabled.is_(True), WebhookEndpoint.deleted_at.is_(None))
    ).scalars().all()
    for endpoint in endpoints:
        if subscribed(endpoint.events or [], event.type):
            create_delivery(event.id, endpoint, redelivery=False)


def create_delivery(event_id: str, endpoint: WebhookEndpoint,
                    redelivery: bool) -> WebhookDelivery:
    """Add a pending delivery of ``event_id`` to ``endpoint``, due now, and enqueue its
    first attempt after the commit (flush only)."""
    now = utcnow()
    delay = schedule.delay_before(1) or 0
    delivery = WebhookDelivery(
        id=new_id("wd"), event_id=event_id, endpoint_id=endpoint.id,
        merchant_id=endpoint.merchant_id, livemode=endpoint.livemode, status=DeliveryStatus.PENDING,
        redelivery=redelivery, attempts=0,
        next_attempt_at=now + timedelta(seconds=delay), created_at=now)
    db.session.add(delivery)
    enqueue(delivery.id, 0, delay)
    return delivery


def enqueue(delivery_id: str, attempts: int, delay: float | None) -> None:
    """Enqueue the attempt after ``attempts`` in ``delay`` seconds, once committed."""
    enqueue_after_commit(DELIVER_WEBHOOK, delivery_id,
                         job_id=delivery_job_id(delivery_id, attempts),
                         delay=delay or None, job_timeout=JOB_TIMEOUT, result_ttl=0)


def close_pending(endpoint_id: str, status: str, error: str, now: datetime) -> None:
    """Close every pending delivery of an endpoint except those with an attempt in
    flight (claimed, or locked right now): their attempt settles them (flush only)."""
    in_flight = db.select(WebhookAttempt.id).where(
        WebhookAttempt.delivery_id == WebhookDelivery.id, WebhookAttempt.finished.is_(False))
    free = db.select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.status == DeliveryStatus.PENDING,
        ~in_flight.exists()
    ).with_for_update(skip_locked=True, key_share=True).scalar_subquery()
    db.session.execute(
        db.update(WebhookDelivery).where(WebhookDelivery.id.in_(free))
        .values(status=status, next_attempt_at=None, completed_at=now, last_error=error),
        execution_options={"synchronize_session": False})
