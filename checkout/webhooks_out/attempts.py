"""One attempt of a delivery: claimed (counted, logged, leased) in one transaction before
the HTTP call, recorded in another after it. Both only flush; the job commits.

A claim pushes ``next_attempt_at`` to the end of a lease: a worker that dies mid-send
leaves the delivery due again when the lease ends, and the sweeper sends it again (its
unfinished attempt is then closed as cut short). An attempt that outlived its lease and
was overtaken by a newer one only completes its log row.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from checkout.core import secretbox
from checkout.core.timeutil import isoformat, utcnow
from checkout.extensions import db
from checkout.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from checkout.models.webhooks import DeliveryStatus

from . import schedule
from .deliveries import close_pending, enqueue
from .signing import encode_body
from .transport import SendResult

log = logging.getLogger(__name__)

LEASE_SECONDS = 60        # an attempt in flight is due again after this (worker died)
DUE_SLACK_SECONDS = 2     # early jobs tolerated (RQ schedules to the whole second)
DISABLE_AFTER = timedelta(days=3)
SUCCESS_NOTE_EVERY = timedelta(minutes=1)
CUT_SHORT = "no outcome recorded: the worker stopped mid-attempt"


@dataclass(frozen=True)
class Claim:
    """What one attempt needs, read under the delivery's lock (plain values: the send
    happens after the commit, outside any transaction)."""

    delivery_id: str
    endpoint_id: str
    attempt_id: int
    number: int
    msg_id: str
    url: str
    livemode: bool
    body: bytes
    secrets: tuple[str, ...]
    note_success: bool    # the endpoint's success record needs updating if this succeeds


def claim(delivery_id: str) -> Claim | None:
    """Start the next attempt of a due, pending delivery: count it, log it, lease it.
    Returns a Claim, or None when there is nothing to send (done, not due yet — a
    duplicate or early job — or its endpoint deleted or disabled: then it is closed)."""
    # FOR NO KEY UPDATE: rows referencing the delivery (attempts) may still be inserted.
    row = db.session.execute(
        db.select(WebhookDelivery, WebhookEndpoint, Event)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update(of=WebhookDelivery, key_share=True)
        .execution_options(populate_existing=True)).first()
    if row is None:
        return None
    delivery, endpoint, event = row
    now = utcnow()
    if delivery.status != DeliveryStatus.PENDING or (
            delivery.next_attempt_at is not None
            and delivery.next_attempt_at > now + timedelta(seconds=DUE_SLACK_SECONDS)):
        return None
    if _closed_by_endpoint(delivery, endpoint, now):
        return None
    if delivery.attempts:
        db.session.execute(
            db.update(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id,
                                            WebhookAttempt.finished.is_(False))
            .values(finished=True, error=CUT_SHORT))
    delivery.attempts += 1
    lease = current_app.config.get("WEBHOOK_LEASE_SECONDS", LEASE_SECONDS)
    delivery.next_attempt_at = now + timedelta(seconds=lease)
    attempt = WebhookAttempt(delivery_id=delivery.id, number=delivery.attempts,
                             url=endpoint.url, sent_at=now, finished=False)
    db.session.add(attempt)
    db.session.flush()
    note = endpoint.failing_since is not None or endpoint.last_success_at is None or \
        now - endpoint.last_success_at > SUCCESS_NOTE_EVERY
    return Claim(delivery_id=delivery.id, endpoint_id=endpoint.id, attempt_id=attempt.id,
                 number=delivery.attempts, msg_id=event.id, url=endpoint.url,
                 livemode=endpoint.livemode,
                 body=encode_body(event.type, isoformat(event.created_at), event.data),
                 secrets=tuple(signing_secrets(endpoint, now)), note_success=note)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The endpoint's current secret, then its previous one while that is still valid."""
    out = [secretbox.decrypt(endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at \
            and endpoint.previous_secret_expires_at > now:
        out.append(secretbox.decrypt(endpoint.previous_secret_encrypted))
    return out


def record(claim_: Claim, result: SendResult) -> None:
    """Store the outcome of a claimed attempt and decide what comes next: success closes
    the delivery; a failure schedules the next attempt (enqueued after the commit) or,
    past the schedule, fails it; an endpoint without a success for
    ``WEBHOOK_DISABLE_AFTER_SECONDS`` (3 days) is disabled. Each change is one
    conditional UPDATE (still pending, still this attempt's): an attempt overtaken by a
    newer one only completes its log row."""
    db.session.execute(
        db.update(WebhookAttempt).where(WebhookAttempt.id == claim_.attempt_id)
        .values(finished=True, succeeded=result.ok, duration_ms=result.duration_ms,
                status_code=result.status_code, response_body=result.body,
                error=result.error))
    now = utcnow()
    if result.ok:
        if _update(claim_, now, status=DeliveryStatus.SUCCEEDED) and claim_.note_success:
            # At most about once a minute while all goes well (a hot row otherwise).
            db.session.execute(
                db.update(WebhookEndpoint).where(WebhookEndpoint.id == claim_.endpoint_id)
                .values(failing_since=None, last_success_at=now))
        return
    error = result.summary()
    delay = schedule.delay_before(claim_.number + 1)
    if delay is None:
        updated = _update(claim_, now, status=DeliveryStatus.FAILED, last_error=error)
    else:
        updated = _update(claim_, now, last_error=error,
                          next_attempt_at=now + timedelta(seconds=delay))
    if not updated:
        return
    endpoint = db.session.execute(
        db.select(WebhookEndpoint).where(WebhookEndpoint.id == claim_.endpoint_id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)
    ).scalar_one()
    if endpoint.deleted_at is not None:        # changed during the send
        _update(claim_, now, status=DeliveryStatus.CANCELED, last_error="endpoint deleted")
        return
    if not endpoint.enabled:
        _update(claim_, now, status=DeliveryStatus.FAILED, last_error="endpoint disabled")
        return
    endpoint.last_failure_at = now
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    if now - endpoint.failing_since >= _disable_after():
        disable_for_failures(endpoint, now)   # fails this delivery too
    elif delay is not None:
        enqueue(claim_.delivery_id, claim_.number, delay)


def _update(claim_, now, status=None, **values):
    """Change the claimed delivery if it is still pending at this attempt; True if so."""
    if status is not None:
        values.update(status=status, next_attempt_at=None, completed_at=now)
    return db.session.execute(
        db.update(WebhookDelivery)
        .where(WebhookDelivery.id == claim_.delivery_id,
               WebhookDelivery.status == DeliveryStatus.PENDING,
               WebhookDelivery.attempts == claim_.number)
        .values(**values), execution_options={"synchronize_session": False}).rowcount == 1


def _closed_by_endpoint(delivery, endpoint, now):
    if endpoint.deleted_at is not None:
        _close(delivery, DeliveryStatus.CANCELED, "endpoint deleted", now)
        return True
    if not endpoint.enabled:
        _close(delivery, DeliveryStatus.FAILED, "endpoint disabled", now)
        return True
    return False


def _disable_after():
    seconds = current_app.config.get("WEBHOOK_DISABLE_AFTER_SECONDS")
    return timedelta(seconds=seconds) if seconds is not None else DISABLE_AFTER


def disable_for_failures(endpoint: WebhookEndpoint, now: datetime) -> None:
    """Disable an endpoint that has failed without a success for too long, fail its
    pending deliveries (redeliverable once it is fixed), and tell the merchant: a
    warning in the logs and ``disabled_reason`` on the endpoint (API and dashboard)."""
    endpoint.enabled = False
    endpoint.disabled_reason = "failing"
    endpoint.disabled_at = now
    close_pending(endpoint.id, DeliveryStatus.FAILED, "endpoint disabled after repeated failures",
                  now)
    log.warning("webhook endpoint disabled: every delivery failed for %s", _disable_after(),
                extra={"endpoint_id": endpoint.id, "merchant_id": endpoint.merchant_id,
                       "failing_since": isoformat(endpoint.failing_since)})


def _close(delivery, status, error, now):
    delivery.status = status
    delivery.last_error = error
    delivery.next_attempt_at = None
    delivery.completed_at = now
