"""Payment jobs (RQ): starting an attempt whose provider call blocks, expiring checkouts,
asking about refunds a provider queued. Module-level functions taking ids; safe to run
twice. Polling is not an RQ job: see ``jobs.polling``.
"""
from datetime import timedelta

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Checkout, Refund
from checkout.payments import flow, refunds, service
from checkout.payments.state import CheckoutStatus, RefundStatus
from checkout.redis_store import at_most_every

EXPIRE_BATCH = 20
REFUND_POLL_SECONDS = 30
REFUND_POLL_AFTER = timedelta(seconds=30)


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
