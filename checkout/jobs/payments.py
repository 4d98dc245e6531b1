"""Payment work: polling pending attempts, starting one whose provider call blocks,
expiring checkouts. Module-level functions taking ids; safe to run twice.

Polls are not RQ jobs: the database is the queue. ``payments.next_poll_at`` says when
each pending attempt is due; every worker process's poller (``worker.poller``) claims
due attempts in batches (``claim_due``) and runs their status calls concurrently
(``poll_once``). Nothing about polling lives in Redis, so nothing is lost when it is
flushed, and a killed poller's claims come due again when their lease ends.
"""
import logging
import random
from datetime import timedelta

from sqlalchemy import func

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.errors import GatewayError
from checkout.jobs.queue import at_most_every
from checkout.models import Checkout, Payment, Refund, refreshed
from checkout.observability import metrics
from checkout.payments import flow, refunds, service
from checkout.payments.refresh import fetch_and_apply
from checkout.payments.state import CheckoutStatus, PaymentStatus, RefundStatus
from checkout.payments.throttle import take_call_token

log = logging.getLogger(__name__)

EXPIRE_BATCH = 20
JITTER = 0.1                   # +-10 % on every interval: polls never march in step
ERROR_BACKOFF_MIN = 10         # seconds after a failed status call, at least...
ERROR_BACKOFF_MAX = 120        # ...and at most
REFUND_POLL_SECONDS = 30
REFUND_POLL_AFTER = timedelta(seconds=30)


def claim_due(limit: int, lease_seconds: float) -> list[str]:
    """Claim up to ``limit`` pending attempts whose poll is due, oldest due first, for one
    poller: their ``next_poll_at`` moves ``lease_seconds`` ahead in the same statement, so
    no other poller (thread, process or host) takes them meanwhile; ``poll_once`` then
    writes the real next time. On PostgreSQL rows another claimer holds are skipped
    (``FOR UPDATE SKIP LOCKED``), never waited for. A poller killed mid-batch loses
    nothing: its claims come due again when the lease ends. Commits; returns the ids."""
    return claim(Payment.next_poll_at, limit, lease_seconds,
                 Payment.status == PaymentStatus.PENDING)


def claim(column, limit: int, lease_seconds: float, *conditions) -> list[str]:
    """Claim up to ``limit`` payments whose ``column`` time has come (and ``conditions``
    hold), oldest first, moving ``column`` ``lease_seconds`` ahead (see ``claim_due``)."""
    now = utcnow()
    due = (db.select(Payment.id).where(*conditions, column <= now)
           .order_by(column).limit(limit).with_for_update(skip_locked=True))
    ids = db.session.execute(
        db.update(Payment).where(Payment.id.in_(due.scalar_subquery()))
        .values({column: now + timedelta(seconds=lease_seconds)})
        .returning(Payment.id)
        .execution_options(synchronize_session=False)).scalars().all()
    db.session.commit()
    return list(ids)


def poll_once(payment_id: str) -> None:
    """Ask the provider about a pending attempt and plan its next poll: after the next
    interval of the gateway's ``poll_schedule`` (the last one repeats; longer, with
    jitter, after a provider error, so that a provider coming back is not met by a
    storm), never past the attempt's ``deadline_at``. At the deadline, after one last
    status call, the attempt is abandoned (``expired``, reason "deadline"). The account's
    status-call rate (``Gateway.status_calls_per_second``) is kept across all workers:
    over it, the poll is put off by a second without calling. Commits."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.PENDING:
        return None
    gateway = get_gateway(payment.gateway)
    schedule = gateway.poll_schedule
    if not schedule and payment.deadline_at is None:
        return _plan(payment_id, None)
    deadline_at, attempts = payment.deadline_at, (payment.poll_attempts or 0) + 1
    limiter_key = f"{payment.gateway}:{payment.gateway_account_id}"
    if payment.provider_reference and \
            not take_call_token(limiter_key, gateway.status_calls_per_second):
        metrics.POLLS.labels(gateway.name, "rate_limited").inc()
        return _plan(payment_id, utcnow() + timedelta(seconds=1 + random.random()),
                     count=False)
    failed = False
    decision = None
    if payment.provider_reference:
        db.session.commit()
        try:
            _result, decision = fetch_and_apply(payment_id, "poll")
            metrics.POLLS.labels(gateway.name, "answered").inc()
        except GatewayError as exc:
            failed = True
            metrics.POLLS.labels(gateway.name, "failed").inc()
            log.warning("status check failed; attempt left as it was",
                        extra={"payment": payment_id, "code": exc.code,
                               "retryable": exc.retryable})
        except LookupError:
            return None
    if decision is not None and decision.payment_status != PaymentStatus.PENDING:
        return None
    if decision is None and refreshed(Payment, payment_id).status != PaymentStatus.PENDING:
        return None
    now = utcnow()
    if deadline_at is not None and now >= deadline_at:
        service.abandon_attempt(payment_id, source="poll", reason="deadline")
        db.session.commit()
        return None
    interval = schedule[min(attempts, len(schedule) - 1)] if schedule else 60
    if failed:
        interval = min(max(interval * 2, ERROR_BACKOFF_MIN), ERROR_BACKOFF_MAX)
    due = now + timedelta(seconds=interval * (1 + JITTER * (2 * random.random() - 1)))
    if deadline_at is not None and due > deadline_at:
        due = deadline_at
    return _plan(payment_id, due)


def _plan(payment_id, due, count=True):
    """Write the next poll time of a still-pending attempt (None: no more polls)."""
    values = {"next_poll_at": due}
    if count:
        values["poll_attempts"] = func.coalesce(Payment.poll_attempts, 0) + 1
    db.session.execute(
        db.update(Payment).where(Payment.id == payment_id,
                                 Payment.status == PaymentStatus.PENDING).values(**values))
    db.session.commit()
    return None


def poll_due(limit: int = 100, lease_seconds: float = 60) -> int:
    """Claim what is due and poll it here, one after the other (tests, one-off runs; the
    worker's poller does it concurrently). Returns how many were polled."""
    ids = claim_due(limit, lease_seconds)
    for payment_id in ids:
        poll_once(payment_id)
    return len(ids)


def initiate_payment(payment_id):
    """Start a committed attempt at a gateway whose initiate call blocks (see
    payments.flow). Safe to run twice: an attempt with a provider reference is left."""
    flow.initiate(payment_id)


def expire_checkouts(limit=5000):
    """Expire open checkouts whose time is up, a few per transaction (a processing one
    waits for its attempt: it returns to open, then expires here). Returns the count."""
    done = 0
    while done < limit:
        ids = db.session.execute(
            db.select(Checkout.id).where(Checkout.status == CheckoutStatus.OPEN,
                                         Checkout.expires_at <= utcnow())
            .order_by(Checkout.expires_at).limit(EXPIRE_BATCH)
        ).scalars().all()
        if not ids:
            break
        changed = sum(1 for cid in ids if service.expire_checkout(cid, source="job"))
        db.session.commit()
        done += len(ids)
        if not changed:
            break  # nothing moved: do not spin on rows another writer holds
    return done


def poll_pending_refunds(batch=50):
    """The sweeper's hook for refunds a provider queued: ask about those pending for
    more than ``REFUND_POLL_AFTER`` (their notification may never come), at most every
    ``REFUND_POLL_SECONDS`` across all processes. Returns how many were settled."""
    if not at_most_every("poll-refunds", REFUND_POLL_SECONDS):
        return 0
    ids = db.session.execute(
        db.select(Refund.id).where(Refund.status == RefundStatus.PENDING,
                                   Refund.created_at <= utcnow() - REFUND_POLL_AFTER)
        .order_by(Refund.created_at).limit(batch)).scalars().all()
    db.session.commit()
    return sum(1 for refund_id in ids if refunds.refresh_refund(refund_id))
