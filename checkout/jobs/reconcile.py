"""Reconciliation: nothing paid is ever missed.

An attempt that ended on our side without the provider's final word (its deadline
passed; the shopper chose another way while a push was out; its checkout was canceled or
expired with it pending) may still be completed by the provider. ``payments.service``
gives it a ``reconcile_at``; this asks the provider again on a slow schedule
(``service.RECONCILE_SCHEDULE``: +2 min, +10 min, +1 h, +6 h, +24 h) and applies the
answer through the one state machine: a late success becomes ``paid`` with ``paid_late``
(or, when the order was meanwhile paid another way, a ``duplicate`` with its
``payment.duplicate`` event for the merchant to refund); a final answer of any kind, or
the last try, ends the schedule.
"""
import logging
from datetime import timedelta

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways.errors import GatewayError
from checkout.models import Payment
from checkout.payments import service
from checkout.payments.refresh import fetch_and_apply
from checkout.payments.state import PaymentStatus, Report
from checkout.redis_store import at_most_every

from .polling import claim

log = logging.getLogger(__name__)

RECONCILE_EVERY_SECONDS = 20
LEASE_SECONDS = 300


def reconcile_due(batch: int = 100) -> int:
    """The sweeper's hook: ask again about the ended attempts whose time has come (at
    most every ``RECONCILE_EVERY_SECONDS`` across all processes). Returns how many were
    asked."""
    if not at_most_every("reconcile", RECONCILE_EVERY_SECONDS):
        return 0
    rows = claim(Payment.reconcile_at, batch, LEASE_SECONDS)
    for (payment_id,) in rows:
        reconcile_one(payment_id)
    return len(rows)


def reconcile_one(payment_id: str) -> str:
    """Ask the provider about one ended attempt and apply its answer. Commits. Returns
    what happened: "settled" (a final answer), "waiting" (asked again later), "gave_up"
    or "skipped" (nothing to ask)."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.reconcile_at is None:
        return "skipped"
    if payment.status == PaymentStatus.SUCCEEDED or not payment.provider_reference:
        return _stop(payment_id, "skipped")
    tries = (payment.reconcile_attempts or 0) + 1
    db.session.commit()
    try:
        result, _decision = fetch_and_apply(payment_id, "reconcile")
    except GatewayError as exc:
        log.warning("reconciliation call failed", extra={"payment": payment_id,
                                                         "code": exc.code})
        result = None
    if result is not None and result.status != Report.PENDING:
        return _stop(payment_id, "settled")
    if tries >= len(service.RECONCILE_SCHEDULE):
        service.log_event(payment.checkout_id, payment_id, "reconcile_gave_up", "reconcile",
                          payment.status, payment.status, {"tries": tries})
        return _stop(payment_id, "gave_up")
    db.session.execute(db.update(Payment).where(Payment.id == payment_id).values(
        reconcile_attempts=tries,
        reconcile_at=utcnow() + timedelta(seconds=service.RECONCILE_SCHEDULE[tries])))
    db.session.commit()
    return "waiting"


def _stop(payment_id, outcome):
    db.session.execute(db.update(Payment).where(Payment.id == payment_id)
                       .values(reconcile_at=None))
    db.session.commit()
    return outcome
