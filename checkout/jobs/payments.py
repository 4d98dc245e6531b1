"""Payment jobs (RQ): polling a pending attempt, starting one whose provider call
blocks, expiring checkouts. Module-level functions taking ids; safe to run twice.

The database is the record of what is due (``payments.next_poll_at``); Redis only
carries the wake-ups, and ``jobs.sweep`` puts back whatever Redis lost.
"""
import math
from datetime import timedelta

from rq import Retry

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.jobs.queue import at_most_every
from checkout.models import Checkout, Payment, Refund, refreshed
from checkout.payments import flow, refunds, service
from checkout.payments.refresh import refresh_payment
from checkout.payments.state import CheckoutStatus, PaymentStatus, RefundStatus

MAX_POLLS = 1_000_000          # Retry.max: the deadline ends polling long before
EXPIRE_BATCH = 20
REFUND_POLL_SECONDS = 30
REFUND_POLL_AFTER = timedelta(seconds=30)


def poll_payment(payment_id):
    """Ask the provider about a pending attempt; while it stays pending, run again after
    the next interval of the gateway's ``poll_schedule`` (the last one repeats), never
    past the attempt's ``deadline_at``. At the deadline, after one last status call, the
    attempt is abandoned (``expired``, reason "deadline").

    Rescheduling is RQ's own: the job returns ``rq.Retry(interval=...)`` and the worker
    schedules the same job id again, so there is never more than one poll per payment.
    ``next_poll_at`` / ``poll_attempts`` record the plan in the database for the sweeper.
    """
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.PENDING:
        return None
    schedule = get_gateway(payment.gateway).poll_schedule
    if not schedule and payment.deadline_at is None:
        return None
    deadline_at, attempts = payment.deadline_at, (payment.poll_attempts or 0) + 1
    decision = refresh_payment(payment_id, "poll")
    if decision is None:  # nothing learnt: look at the row again
        if refreshed(Payment, payment_id).status != PaymentStatus.PENDING:
            return None
    elif decision.payment_status != PaymentStatus.PENDING:
        return None
    now = utcnow()
    if deadline_at is not None and now >= deadline_at:
        service.abandon_attempt(payment_id, source="poll", reason="deadline")
        db.session.commit()
        return None
    interval = schedule[min(attempts, len(schedule) - 1)] if schedule else 60
    due = now + timedelta(seconds=interval)
    if deadline_at is not None and due > deadline_at:
        due = deadline_at
    seconds = max(1, math.ceil((due - now).total_seconds()))
    updated = db.session.execute(
        db.update(Payment).where(Payment.id == payment_id, Payment.status == PaymentStatus.PENDING)
        .values(poll_attempts=attempts, next_poll_at=due)
    ).rowcount
    db.session.commit()
    if not updated:
        return None  # settled meanwhile by a notification or the shopper's return
    return Retry(max=MAX_POLLS, interval=seconds)


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
