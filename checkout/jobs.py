"""Background jobs (RQ). Module-level functions taking ids; safe to run twice.

Each runs inside an app context (the worker gives every job its own) and owns its
commits. The database is the record of what is due (``payments.next_poll_at``,
unprocessed ``gateway_notifications``); Redis only carries the wake-ups, and
:func:`sweep` puts back whatever Redis lost.
"""
import logging
import math
from datetime import timedelta

from rq import Retry
from werkzeug.datastructures import Headers

from .extensions import db
from .gateways import get_gateway
from .gateways.errors import GatewayDeclined, GatewayError, WebhookVerificationError
from .models import Checkout, GatewayAccount, GatewayNotification, Payment
from .payments import service
from .payments.refresh import fetch_and_apply, refresh_payment
from .timeutil import utcnow

log = logging.getLogger(__name__)

MAX_POLLS = 1_000_000          # Retry.max: the deadline ends polling long before
# A notification that names no payment we know may be early (the provider answered
# our initiate call after notifying): keep trying this long before calling it unknown.
UNMATCHED_PATIENCE = timedelta(minutes=10)
EXPIRE_BATCH = 20
REDELIVERY_RETRIES = 20


def poll_job_id(payment_id):
    return f"poll-{payment_id}"


def notification_job_id(notification_id):
    return f"notification-{notification_id}"


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
    if payment is None or payment.status != "pending":
        return None
    schedule = get_gateway(payment.gateway).poll_schedule
    if not schedule and payment.deadline_at is None:
        return None
    deadline_at, attempts = payment.deadline_at, (payment.poll_attempts or 0) + 1
    decision = refresh_payment(payment_id, "poll")
    if decision is None:  # nothing learnt: look at the row again
        if _reload(Payment, payment_id).status != "pending":
            return None
    elif decision.payment_status != "pending":
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
        db.update(Payment).where(Payment.id == payment_id, Payment.status == "pending")
        .values(poll_attempts=attempts, next_poll_at=due)
    ).rowcount
    db.session.commit()
    if not updated:
        return None  # settled meanwhile by a notification or the shopper's return
    return Retry(max=MAX_POLLS, interval=seconds)


def initiate_payment(payment_id):
    """Start a committed attempt at a gateway whose initiate call blocks (see
    payments.flow). Safe to run twice: an attempt with a provider reference is left."""
    from .payments import flow
    flow.initiate(payment_id)


def process_notification(notification_id):
    """Act on a stored gateway notification, at most once.

    The raw notification is parsed again by the adapter; unless it carries a verified
    result (a signed notification), nothing in it is believed: the payment it names is
    asked about with a status call and only that answer is applied (providers.md 1.7 for
    FeexPay). The payment is found by (account, provider reference), else by the
    adapter's ``payment_hint`` within the same account. Returns the outcome recorded
    (or ``rq.Retry`` to look again in a second when a redelivery came in while the
    provider still said pending).
    """
    from .merchants import account_context  # (import cycle via checkout.api)
    note = db.session.get(GatewayNotification, notification_id)
    if note is None or note.processed_at is not None:
        return None
    seen = note.duplicates or 0
    account = db.session.get(GatewayAccount, note.gateway_account_id)
    gateway = get_gateway(note.gateway)
    try:
        parsed = gateway.parse_notification(account_context(account), Headers(note.headers),
                                            bytes(note.body))
    except WebhookVerificationError as exc:
        return _finish(note, "rejected", str(exc))
    payment = _find_payment(account, note.gateway, parsed)
    if payment is None:
        if utcnow() - note.received_at < UNMATCHED_PATIENCE:
            return _leave(note, "no payment matches yet")
        return _finish(note, "unknown_payment")
    if payment.provider_reference and payment.provider_reference != parsed.provider_reference:
        return _finish(note, "reference_mismatch")
    if parsed.result is not None and not gateway.notifications_need_confirmation:
        result = parsed.result
        decision = service.apply_result(payment.id, result, "webhook")
        db.session.commit()
    else:
        try:
            result, decision = fetch_and_apply(payment.id, "webhook",
                                               reference=parsed.provider_reference)
        except (WebhookVerificationError, GatewayDeclined) as exc:
            # The provider does not confirm that reference for this payment.
            return _finish(_reload(GatewayNotification, notification_id), "rejected",
                           f"{exc.code}: {exc}")
        except GatewayError as exc:
            # Cannot tell now: left unprocessed, the sweeper tries again in a minute.
            return _leave(_reload(GatewayNotification, notification_id),
                          f"{exc.code}: {exc}")
    note = _reload(GatewayNotification, notification_id)
    if result.status == "pending" and note.duplicates > seen:
        # Redelivered while we asked: the provider may have settled since (its webhooks
        # repeat under the same dedup key). Ask again shortly rather than miss it.
        _leave(note, "redelivered while pending")
        return Retry(max=REDELIVERY_RETRIES, interval=1)
    outcome = "pending" if result.status == "pending" else decision.outcome
    return _finish(note, outcome)


def _find_payment(account, gateway, parsed):
    base = db.select(Payment).where(Payment.gateway_account_id == account.id,
                                    Payment.gateway == gateway)
    payment = db.session.execute(
        base.where(Payment.provider_reference == parsed.provider_reference)
        .order_by(Payment.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    hint = getattr(parsed, "payment_hint", None)
    if payment is None and hint:
        payment = db.session.execute(base.where(Payment.id == hint)).scalar_one_or_none()
    return payment


def _finish(note, outcome, error=None):
    note.processed_at = utcnow()
    note.outcome = outcome
    note.error = (error or None) and error[:2000]
    db.session.commit()
    return outcome


def _leave(note, error):
    note.error = error[:2000]
    db.session.commit()
    return "retry_later"


def _reload(model, key):
    return db.session.execute(
        db.select(model).where(model.__mapper__.primary_key[0] == key)
        .execution_options(populate_existing=True)
    ).scalar_one()


def expire_checkouts(limit=5000):
    """Expire open checkouts whose time is up, a few per transaction (a processing one
    waits for its attempt: it returns to open, then expires here). Returns the count."""
    done = 0
    while done < limit:
        ids = db.session.execute(
            db.select(Checkout.id).where(Checkout.status == "open",
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


_sweepers = []


def register_sweeper(fn):
    """Register ``fn()`` to run on every :func:`sweep` (in an app context; it commits
    its own work). Use it to put back jobs Redis may have lost. Returns ``fn``."""
    if fn not in _sweepers:
        _sweepers.append(fn)
    return fn


def sweep():
    """Periodic repair: re-enqueue polls that are due but whose job vanished (Redis
    flushed, worker killed), unprocessed notifications older than a minute, blocked
    initiations, then every registered sweeper. Returns what each part did."""
    from .worker_sweep import sweep_core
    report = sweep_core()
    for fn in list(_sweepers):
        name = getattr(fn, "__qualname__", repr(fn))
        try:
            report[name] = fn()
        except Exception:  # noqa: BLE001 - one broken hook must not stop the others
            db.session.rollback()
            log.exception("sweeper failed", extra={"sweeper": name})
            report[name] = "error"
    return report
