"""The payment services: the only code that writes payment and checkout statuses.

Every function here takes ids, locks the checkout row then the payment row
(always in that order, so two writers never deadlock), obeys ``state.decide``,
appends a timeline row, and only flushes: the caller (view or job) commits once.
"""
from datetime import timedelta
from typing import Any

from checkout.core.timeutil import utcnow
from checkout.events import record_checkout_event
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.base import GatewayResult
from checkout.models import Checkout, Payment, PaymentEvent
from checkout.observability import outcomes
from checkout.payments.state import CheckoutStatus, PaymentStatus, Report

from . import state

# When an attempt that ended without the provider's final word is asked again, in seconds
# after it ended (then after each previous try): +2 min, +10 min, +1 h, +6 h, +24 h.
RECONCILE_SCHEDULE = (120, 600, 3600, 6 * 3600, 24 * 3600)


class PaymentStateError(Exception):
    """The requested change is not allowed in the current state."""

    def __init__(self, code: str, message: str, minutes: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.minutes = minutes   # for ``phone_busy``: when the number may get another push


def lock_checkout(checkout_id: str) -> Checkout:
    """Load a checkout under a row lock (SELECT ... FOR UPDATE on PostgreSQL)."""
    return db.session.execute(
        db.select(Checkout).where(Checkout.id == checkout_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def lock_payment(payment_id: str) -> Payment:
    return db.session.execute(
        db.select(Payment).where(Payment.id == payment_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def log_event(checkout_id: str, payment_id: str | None, type_: str, source: str,
              from_status: str | None = None, to_status: str | None = None,
              data: dict[str, Any] | None = None) -> None:
    """Append one timeline row (never updated, never deleted)."""
    db.session.add(PaymentEvent(checkout_id=checkout_id, payment_id=payment_id, type=type_,
                                source=source, from_status=from_status, to_status=to_status,
                                data=data, created_at=utcnow()))


def apply_result(payment_id: str, result: GatewayResult, source: str) -> state.Decision:
    """Apply a gateway's report (a ``GatewayResult``) to a payment and its checkout.

    Safe to call any number of times with the same report, from any source, at the
    same time: the row locks serialise writers and the table makes repeats no-ops.
    A success is checked against the amount and currency we asked for. Returns the
    ``state.Decision``.
    """
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise LookupError(payment_id)
    checkout = lock_checkout(payment.checkout_id)
    payment = lock_payment(payment_id)
    now = utcnow()
    matches = True
    if result.status == Report.SUCCEEDED:
        # A success must name its amount (unless the gateway's status call never does, and
        # the amount was fixed by our initiate call); the currency may be unknown to it.
        amount = result.amount
        if amount is None and not get_gateway(payment.gateway).status_has_amount:
            amount = payment.amount
        matches = amount == payment.amount and \
            (result.currency is None or result.currency == payment.currency)
    other_paid = checkout.payment_id not in (None, payment.id)
    if (result.status == Report.SUCCEEDED and not other_paid
            and checkout.status != CheckoutStatus.PAID):
        other_paid = _order_paid_elsewhere(checkout)
    decision = state.decide(payment.status, checkout.status, result.status,
                            amount_matches=matches, other_paid=other_paid)
    before_p, before_c = payment.status, checkout.status
    if result.provider_reference and not payment.provider_reference:
        payment.provider_reference = result.provider_reference
    if result.receipt and not payment.provider_receipt and result.status == Report.SUCCEEDED:
        payment.provider_receipt = result.receipt[:64]
    data = {"reported": result.status, "raw": dict(result.raw or {})}
    if decision.outcome == state.Outcome.NOOP:
        if result.status != Report.PENDING:
            log_event(checkout.id, payment.id, "report_repeated", source, before_p, before_p, data)
        return decision
    if decision.outcome == state.Outcome.LATE_FAILURE_IGNORED:
        log_event(checkout.id, payment.id, decision.outcome, source, before_p, before_p, data)
        return decision
    payment.status = decision.payment_status
    if decision.payment_status in state.PAYMENT_FINAL and payment.completed_at is None:
        payment.completed_at = now
    payment.next_poll_at = None
    if decision.payment_status == PaymentStatus.FAILED:
        if decision.outcome == state.Outcome.AMOUNT_MISMATCH:
            payment.failure_code = "amount_mismatch"
            payment.failure_message = (f"provider reported {result.amount} {result.currency}, "
                                       f"expected {payment.amount} {payment.currency}")
        else:
            payment.failure_code = result.failure_code or "declined"
            payment.failure_message = result.failure_message
    if decision.flag_duplicate:
        payment.duplicate = True
    if decision.flag_paid_late:
        payment.paid_late = checkout.paid_late = True
    checkout.status = decision.checkout_status
    if payment.status != before_p and payment.status in state.PAYMENT_FINAL:
        outcomes.attempt_ended(payment.gateway, payment.method, payment.status,
                               payment.failure_code)
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        payment.reconcile_at = None    # the provider's own final word: nothing to reconcile
    if before_c != CheckoutStatus.PAID and checkout.status == CheckoutStatus.PAID:
        checkout.payment_id = payment.id
        checkout.completed_at = now
    checkout.updated_at = now
    log_event(checkout.id, payment.id, decision.outcome if decision.outcome != state.Outcome.APPLIED
              else "status_changed", source, before_p, payment.status, data)
    db.session.flush()
    if decision.flag_duplicate:
        record_checkout_event("payment.duplicate", checkout, payment)
    elif checkout.status == CheckoutStatus.PAID and before_c != CheckoutStatus.PAID:
        record_checkout_event("checkout.paid", checkout)
    if decision.payment_status == PaymentStatus.FAILED and before_p == PaymentStatus.PENDING:
        record_checkout_event("payment.failed", checkout, payment)
    return decision


def _order_paid_elsewhere(checkout):
    return db.session.execute(
        db.select(Checkout.id).where(
            Checkout.merchant_id == checkout.merchant_id, Checkout.livemode == checkout.livemode,
            Checkout.order_id == checkout.order_id,
            # A constant, not a bind parameter, so PostgreSQL can use the partial index.
            Checkout.status == db.literal_column("'paid'"),
            Checkout.id != checkout.id)
    ).first() is not None


def begin_attempt(checkout_id: str, payment: Payment, source: str = "shopper") -> Payment:
    """Add a new pending attempt to an open, unexpired checkout (flush only).

    ``payment`` is a new, unsaved Payment. Raises PaymentStateError when the checkout
    cannot take an attempt (expired, paid, canceled, or another attempt pending).
    """
    checkout = lock_checkout(checkout_id)
    now = utcnow()
    if checkout.status == CheckoutStatus.OPEN and checkout.expires_at <= now:
        expire_checkout(checkout_id, source="job")
    if checkout.status != CheckoutStatus.OPEN:
        raise PaymentStateError(f"checkout_{checkout.status}",
                                f"This checkout is {checkout.status}.")
    checkout.status = state.checkout_after_attempt_started(checkout.status)
    checkout.updated_at = now
    payment.status = PaymentStatus.PENDING
    payment.created_at = now
    db.session.add(payment)
    db.session.flush()
    checkout.latest_payment_id = payment.id
    log_event(checkout.id, payment.id, "attempt_started", source, None, PaymentStatus.PENDING,
              {"method": payment.method})
    return payment


def record_initiation(payment_id: str, result: GatewayResult, deadline_seconds: int | None,
                      first_poll_seconds: int | None) -> Payment:
    """Store what the provider said when we started the attempt: its reference, the
    shopper's next step and the polling plan. A final status in the initiation answer
    is not trusted (providers.md: verify): the first poll comes soon instead."""
    payment = lock_payment(payment_id)
    if result.provider_reference:
        payment.provider_reference = result.provider_reference
    if result.next_action is not None:
        na = result.next_action
        payment.next_action = {"type": na.type, "url": na.url, "message": na.message}
    now = utcnow()
    if deadline_seconds:
        payment.deadline_at = now + timedelta(seconds=deadline_seconds)
    if first_poll_seconds is not None:
        soon = 1 if result.status != Report.PENDING else first_poll_seconds
        payment.next_poll_at = now + timedelta(seconds=soon)
    log_event(payment.checkout_id, payment.id, "attempt_initiated", "gateway",
              PaymentStatus.PENDING, PaymentStatus.PENDING,
              {"reported": result.status, "raw": dict(result.raw or {})})
    return payment


def record_reference(payment_id: str, reference: str, deadline_seconds: int | None,
                     lease_seconds: int) -> Payment:
    """Store our own provider reference of an attempt before its initiate call (see
    ``Gateway.reference_before_call``), with its deadline and a first poll after
    ``lease_seconds`` (the call's own time): a call cut off then is settled by polling."""
    payment = lock_payment(payment_id)
    payment.provider_reference = reference
    now = utcnow()
    if deadline_seconds:
        payment.deadline_at = now + timedelta(seconds=max(deadline_seconds, lease_seconds))
    payment.next_poll_at = now + timedelta(seconds=lease_seconds)
    log_event(payment.checkout_id, payment.id, "initiate_sending", "gateway",
              PaymentStatus.PENDING, PaymentStatus.PENDING, {"reference": reference})
    return payment


def record_step(payment_id: str, result: GatewayResult) -> Payment:
    """What the provider asks next after a shopper's step (a code was accepted: approve
    on the phone now). A success is not believed here: the next poll confirms it soon."""
    payment = lock_payment(payment_id)
    na = result.next_action
    payment.next_action = ({"type": na.type, "url": na.url, "message": na.message}
                           if na is not None else {"type": "approve_on_phone", "url": None,
                                                   "message": None})
    if result.status != Report.PENDING:
        payment.next_poll_at = utcnow() + timedelta(seconds=1)
    log_event(payment.checkout_id, payment.id, "step_submitted", "shopper",
              PaymentStatus.PENDING, PaymentStatus.PENDING,
              {"reported": result.status, "raw": dict(result.raw or {})})
    return payment


def fail_attempt(payment_id: str, code: str, message: str, source: str) -> state.Decision:
    """The provider refused at initiation (nothing debited): fail the attempt."""
    return apply_result(payment_id, GatewayResult(status=Report.FAILED, failure_code=code,
                                                  failure_message=message), source)


def abandon_attempt(payment_id: str, source: str, reason: str = "abandoned") -> Payment:
    """End a pending attempt on our side (deadline passed, shopper chose another way).
    A success reported later is still honoured (``state.decide``)."""
    payment = db.session.get(Payment, payment_id)
    checkout = lock_checkout(payment.checkout_id)
    payment = lock_payment(payment_id)
    if payment.status != PaymentStatus.PENDING:
        return payment
    before = payment.status
    payment.status = (PaymentStatus.CANCELED if reason == "shopper_switched"
                      else PaymentStatus.EXPIRED)
    payment.failure_code = reason
    payment.completed_at = payment.completed_at or utcnow()
    payment.next_poll_at = None
    if not get_gateway(payment.gateway).confirmed_by_merchant:
        # Ended on our side without the provider's final word: asked again later, on a
        # slow schedule (jobs.reconcile), so that money it took late is never missed.
        payment.reconcile_at = utcnow() + timedelta(seconds=RECONCILE_SCHEDULE[0])
        payment.reconcile_attempts = 0
    outcomes.attempt_ended(payment.gateway, payment.method, payment.status, reason)
    if checkout.status == CheckoutStatus.PROCESSING:
        checkout.status = CheckoutStatus.OPEN
        checkout.updated_at = utcnow()
    log_event(checkout.id, payment.id, "attempt_abandoned", source, before, payment.status,
              {"reason": reason})
    return payment


def expire_checkout(checkout_id: str, source: str = "job") -> bool:
    """Expire an open checkout whose time is up (a processing one waits for its attempt)."""
    checkout = lock_checkout(checkout_id)
    if checkout.status != CheckoutStatus.OPEN or checkout.expires_at > utcnow():
        return False
    _end_checkout(checkout, CheckoutStatus.EXPIRED, source)
    return True


def cancel_checkout(checkout_id: str, source: str = "api") -> Checkout:
    """Cancel a checkout that has no pending or paid attempt; raises PaymentStateError."""
    checkout = lock_checkout(checkout_id)
    if checkout.status == CheckoutStatus.CANCELED:
        return checkout
    if checkout.status != CheckoutStatus.OPEN:
        raise PaymentStateError("checkout_not_cancelable",
                                f"A {checkout.status} checkout cannot be canceled.")
    _end_checkout(checkout, CheckoutStatus.CANCELED, source)
    return checkout


def _end_checkout(checkout, status, source):
    """Move a locked open checkout to a final ``status`` with its timeline row and event."""
    checkout.status = status
    checkout.completed_at = checkout.updated_at = utcnow()
    log_event(checkout.id, None, f"checkout_{status}", source, CheckoutStatus.OPEN, status)
    db.session.flush()
    record_checkout_event(f"checkout.{status}", checkout)


def confirm_cash(payment_id: str, source: str = "api") -> state.Decision:
    """The merchant received the money of an attempt at a gateway the merchant confirms
    (cash on delivery): it succeeds. Raises PaymentStateError for any other attempt."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or not get_gateway(payment.gateway).confirmed_by_merchant:
        raise PaymentStateError("not_cash_payment", "Only cash-on-delivery payments are confirmed.")
    return apply_result(payment_id, GatewayResult(status=Report.SUCCEEDED, amount=payment.amount,
                                                  currency=payment.currency), source)
