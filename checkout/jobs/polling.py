"""Polling pending attempts. Polls are not RQ jobs: the database is the queue.

``payments.next_poll_at`` says when each pending attempt is due. Every worker process's
poller (``worker.poller``) claims due attempts in batches (:func:`claim_tasks`: one
statement that leases them and returns what a poll needs) and runs their status calls
concurrently (:func:`poll_task`). A poll whose answer is "still pending" (nearly all of
them) reads nothing and writes one row: its next time. Nothing about polling lives in
Redis, so nothing is lost when it is flushed, and a killed poller's claims come due again
when their lease ends.
"""
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.errors import GatewayError
from checkout.models import Payment, refreshed
from checkout.observability import metrics
from checkout.payments import service
from checkout.payments.refresh import ask_provider
from checkout.payments.state import PaymentStatus, Report
from checkout.payments.throttle import take_call_token

log = logging.getLogger(__name__)

JITTER = 0.1                   # +-10 % on every interval: polls never march in step
ERROR_BACKOFF_MIN = 10         # seconds after a failed status call, at least...
ERROR_BACKOFF_MAX = 120        # ...and at most


@dataclass(frozen=True)
class PollTask:
    """What one poll needs, as the claim read it."""

    payment_id: str
    gateway: str
    account_id: int
    reference: str | None
    deadline_at: datetime | None
    attempts: int


_TASK_COLUMNS = (Payment.id, Payment.gateway, Payment.gateway_account_id,
                 Payment.provider_reference, Payment.deadline_at, Payment.poll_attempts)


def claim(column, limit: int, lease_seconds: float, *conditions, returning=(Payment.id,)):
    """Claim up to ``limit`` payments whose ``column`` time has come (and ``conditions``
    hold), oldest first, for one claimer: ``column`` moves ``lease_seconds`` ahead in the
    same statement, so no other claimer (thread, process or host) takes them meanwhile.
    On PostgreSQL rows another claimer holds are skipped (``FOR UPDATE SKIP LOCKED``),
    never waited for. Commits; returns the ``returning`` columns of each row."""
    now = utcnow()
    due = (db.select(Payment.id).where(*conditions, column <= now)
           .order_by(column).limit(limit).with_for_update(skip_locked=True))
    rows = db.session.execute(
        db.update(Payment).where(Payment.id.in_(due.scalar_subquery()))
        .values({column: now + timedelta(seconds=lease_seconds)})
        .returning(*returning)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    return rows


def claim_tasks(limit: int, lease_seconds: float) -> list[PollTask]:
    """Claim up to ``limit`` pending attempts whose poll is due, oldest due first; the
    poll then writes their real next time. A poller killed mid-batch loses nothing."""
    rows = claim(Payment.next_poll_at, limit, lease_seconds,
                 Payment.status == PaymentStatus.PENDING, returning=_TASK_COLUMNS)
    return [PollTask(r[0], r[1], r[2], r[3], r[4], r[5] or 0) for r in rows]


def claim_due(limit: int, lease_seconds: float) -> list[str]:
    """The ids of :func:`claim_tasks`."""
    return [t.payment_id for t in claim_tasks(limit, lease_seconds)]


def poll_once(payment_id: str) -> None:
    """One poll of ``payment_id`` read from the database (not claimed: tests, one-off
    runs). See :func:`poll_task`."""
    row = db.session.execute(db.select(*_TASK_COLUMNS, Payment.status)
                             .where(Payment.id == payment_id)).first()
    db.session.commit()
    if row is None or row[-1] != PaymentStatus.PENDING:
        return None
    return poll_task(PollTask(row[0], row[1], row[2], row[3], row[4], row[5] or 0))


def poll_task(task: PollTask) -> None:
    """Ask the provider about a pending attempt and plan its next poll: after the next
    interval of the gateway's ``poll_schedule`` (the last one repeats; longer, with
    jitter, after a provider error, so that a provider coming back is not met by a
    storm), never past the attempt's ``deadline_at``. At the deadline, after one last
    status call, the attempt is abandoned (``expired``, reason "deadline"). The account's
    status-call rate (``Gateway.status_calls_per_second``) is kept across all workers:
    over it, the poll is put off by a second without calling. An answer other than
    "pending" goes through ``service.apply_result`` under its row locks. Commits."""
    payment_id = task.payment_id
    gateway = get_gateway(task.gateway)
    schedule = gateway.poll_schedule
    if not schedule and task.deadline_at is None:
        return _plan(payment_id, None)
    failed = False
    if task.reference:
        if not take_call_token(f"{task.gateway}:{task.account_id}",
                               gateway.status_calls_per_second):
            metrics.POLLS.labels(gateway.name, "rate_limited").inc()
            return _plan(payment_id, utcnow() + timedelta(seconds=1 + random.random()),
                         count=False)
        try:
            result = ask_provider(task.gateway, task.account_id, task.reference, payment_id,
                                  "poll")
            metrics.POLLS.labels(gateway.name, "answered").inc()
        except GatewayError as exc:
            result, failed = None, True
            metrics.POLLS.labels(gateway.name, "failed").inc()
            log.warning("status check failed; attempt left as it was",
                        extra={"payment": payment_id, "code": exc.code,
                               "retryable": exc.retryable})
        except LookupError:
            return None
        if result is not None and (result.status != Report.PENDING or
                                   result.provider_reference not in (None, task.reference)):
            decision = service.apply_result(payment_id, result, "poll")
            db.session.commit()
            if decision.payment_status != PaymentStatus.PENDING:
                return None
    now = utcnow()
    if task.deadline_at is not None and now >= task.deadline_at:
        if refreshed(Payment, payment_id).status == PaymentStatus.PENDING:
            service.abandon_attempt(payment_id, source="poll", reason="deadline")
        db.session.commit()
        return None
    attempts = task.attempts + 1
    interval = schedule[min(attempts, len(schedule) - 1)] if schedule else 60
    if failed:
        interval = min(max(interval * 2, ERROR_BACKOFF_MIN), ERROR_BACKOFF_MAX)
    due = now + timedelta(seconds=interval * (1 + JITTER * (2 * random.random() - 1)))
    if task.deadline_at is not None and due > task.deadline_at:
        due = task.deadline_at
    return _plan(payment_id, due)


def _plan(payment_id, due, count=True):
    """Write the next poll time of a still-pending attempt (None: no more polls). A
    payment settled meanwhile (a notification, the shopper's return) is left alone."""
    values = {"next_poll_at": due}
    if count:
        values["poll_attempts"] = func.coalesce(Payment.poll_attempts, 0) + 1
    db.session.execute(
        db.update(Payment).where(Payment.id == payment_id,
                                 Payment.status == PaymentStatus.PENDING).values(**values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return None


def poll_due(limit: int = 100, lease_seconds: float = 60) -> int:
    """Claim what is due and poll it here, one after the other (tests, one-off runs; the
    worker's poller does it concurrently). Returns how many were polled."""
    tasks = claim_tasks(limit, lease_seconds)
    for task in tasks:
        poll_task(task)
    return len(tasks)
