"""The sweeper: periodic repair that compares what the database says is due with what
Redis holds and puts back what was lost (Redis flushed, a worker killed). Every step is
idempotent (unique job ids). Other subjects add their own repairs with
:func:`add_sweeper` from ``create_app`` (webhook deliveries, retention purges)."""
import logging
import os
from datetime import timedelta

from flask import current_app

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import all_gateways
from checkout.models import GatewayNotification, Payment
from checkout.payments.state import PaymentStatus

from .payments import initiate_payment
from .queue import (
    BLOCKING_QUEUE,
    INITIATE_JOB_TIMEOUT,
    PROCESS_NOTIFICATION,
    ensure_job,
    fetch_job,
    get_queue,
    initiate_job_id,
    job_is_alive,
    notification_job_id,
)

log = logging.getLogger(__name__)

BATCH = 500
NOTIFICATION_GIVE_UP = timedelta(days=1)
_EXTENSION = "checkout.sweepers"


def add_sweeper(app, fn):
    """Run ``fn()`` on every :func:`sweep` of ``app`` (in an app context; it commits its
    own work and returns something to report). Returns ``fn``."""
    sweepers = app.extensions.setdefault(_EXTENSION, [])
    if fn not in sweepers:
        sweepers.append(fn)
    return fn


def sweep():
    """Periodic repair: polls of attempts that lost their plan, unprocessed
    notifications older than a minute, blocked initiations, then every added sweeper.
    Returns what each part did."""
    report = sweep_core()
    for fn in list(current_app.extensions.get(_EXTENSION, ())):
        name = getattr(fn, "__qualname__", repr(fn))
        try:
            report[name] = fn()
        except Exception:  # noqa: BLE001 - one broken hook must not stop the others
            db.session.rollback()
            log.exception("sweeper failed", extra={"sweeper": name})
            report[name] = "error"
    return report


def sweep_core():
    """Re-enqueue lost polls, notifications and blocked initiations. Returns counts."""
    grace = timedelta(seconds=setting("SWEEP_GRACE_SECONDS", 30))
    note_wait = timedelta(seconds=setting("NOTIFICATION_RETRY_SECONDS", 60))
    now = utcnow()
    queue = get_queue()
    report = {"polls": 0, "notifications": 0, "initiations": 0, "notifications_given_up": 0}

    # Polls need no repair (the pollers read the database), except an attempt with no
    # poll planned whose deadline passed (its initiate call's outcome was unknown).
    report["polls"] = db.session.execute(
        db.update(Payment).where(Payment.status == PaymentStatus.PENDING,
                                 Payment.next_poll_at.is_(None), Payment.deadline_at <= now)
        .values(next_poll_at=now)).rowcount or 0
    db.session.commit()

    blocking = [g.name for g in all_gateways().values() if g.initiate_blocks]
    if blocking:
        blocking_queue = get_queue(BLOCKING_QUEUE)
        for payment_id in _ids(db.select(Payment.id).where(
                Payment.status == PaymentStatus.PENDING, Payment.gateway.in_(blocking),
                Payment.provider_reference.is_(None), Payment.deadline_at.is_(None),
                Payment.created_at <= now - grace)):
            if ensure_job(initiate_payment, payment_id, job_id=initiate_job_id(payment_id),
                          queue=blocking_queue, job_timeout=INITIATE_JOB_TIMEOUT):
                report["initiations"] += 1
        report["cut_off_calls"] = _poll_cut_off_calls(blocking, blocking_queue, now)

    given_up = db.session.execute(
        db.update(GatewayNotification)
        .where(GatewayNotification.processed_at.is_(None),
               GatewayNotification.received_at < now - NOTIFICATION_GIVE_UP)
        .values(processed_at=now, outcome="gave_up")
    ).rowcount
    report["notifications_given_up"] = given_up or 0
    db.session.commit()
    for note_id in _ids(db.select(GatewayNotification.id).where(
            GatewayNotification.processed_at.is_(None),
            GatewayNotification.received_at <= now - note_wait
    ).order_by(GatewayNotification.received_at)):
        if ensure_job(PROCESS_NOTIFICATION, note_id, job_id=notification_job_id(note_id),
                      queue=queue):
            report["notifications"] += 1
    db.session.commit()
    if any(report.values()):
        log.info("sweep re-enqueued lost work", extra=report)
    return report


def _poll_cut_off_calls(blocking, blocking_queue, now):
    """Attempts whose blocking initiate call was sent (our reference is stored, its first
    poll waits for the call's time) but whose job is gone (worker killed mid-call): poll
    them now rather than when the call would have ended. Never re-sent."""
    count = 0
    for payment_id in _ids(db.select(Payment.id).where(
            Payment.status == PaymentStatus.PENDING, Payment.gateway.in_(blocking),
            Payment.provider_reference.is_not(None), Payment.next_poll_at > now)):
        # A job that ended well is gone (no result kept); one whose worker died, or that
        # failed or timed out, is still there and no longer alive.
        job = fetch_job(initiate_job_id(payment_id), blocking_queue.connection)
        if job is None or job_is_alive(job, blocking_queue):
            continue
        count += db.session.execute(db.update(Payment).where(
            Payment.id == payment_id, Payment.status == PaymentStatus.PENDING,
            Payment.next_poll_at > now).values(next_poll_at=now)).rowcount or 0
        db.session.commit()
    return count


def setting(name, default):
    """A number of seconds from the app config, else the environment, else ``default``."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def _ids(stmt):
    ids = list(db.session.execute(stmt.limit(BATCH)).scalars())
    db.session.commit()  # no transaction (on SQLite: no write lock) held across Redis calls
    return ids
