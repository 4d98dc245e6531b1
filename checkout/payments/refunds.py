"""Refund rules: what may be refunded, and the provider call around which a refund is
written. Two commits around the call, like starting a payment: the pending refund is
committed first (by the caller, with whatever else must hold before calling out), then
the provider's answer. Concurrent refunds of one payment are serialised by its row lock,
so their sum never exceeds the payment."""
import logging

from sqlalchemy import func

from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.events import record_refund_event
from checkout.extensions import db
from checkout.gateways import all_methods, get_gateway
from checkout.gateways.base import Gateway, RefundUpdate
from checkout.gateways.errors import GatewayError, GatewayNotSupported, GatewayUnavailable
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, Payment, Refund
from checkout.observability import metrics

from . import service
from .state import PaymentStatus, RefundStatus

log = logging.getLogger(__name__)


class RefundRefused(Exception):
    """The refund cannot be made as asked; nothing was written. ``code`` is stable."""

    def __init__(self, code: str, message: str, param: str = "payment") -> None:
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


def not_supported(gateway_name: str) -> RefundRefused:
    return RefundRefused(
        "refund_not_supported", f"Payments through {gateway_name} cannot be refunded through "
        "its API: refund the customer directly (for example by mobile-money transfer or in "
        "cash).")


def prepare_refund(payment: Payment, amount: int | None, reason: str | None) -> Refund:
    """Add a pending refund of ``amount`` (None: all that is left) of a payment the
    caller holds under its row lock (flush only). Raises RefundRefused when the payment
    has not succeeded, its gateway cannot refund, or the amount exceeds what is left."""
    if payment.status != PaymentStatus.SUCCEEDED:
        raise RefundRefused("payment_not_refundable", "Only a succeeded payment can be "
                            f"refunded; this one is {payment.status}.")
    gateway = get_gateway(payment.gateway)
    if not gateway.supports_refund:
        raise not_supported(gateway.name)
    # SUM(bigint) is numeric in PostgreSQL (a Decimal here): back to an int of minor units.
    pending = int(db.session.execute(
        db.select(func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.payment_id == payment.id, Refund.status == RefundStatus.PENDING)
    ).scalar_one())
    left = payment.amount - payment.refunded_amount - pending
    amount = left if amount is None else amount
    if left <= 0 or amount > left:
        raise RefundRefused("refund_amount_too_large", f"At most {max(left, 0)} "
                            f"{payment.currency} of this payment is left to refund.", "amount")
    if not gateway.partial_refunds and amount != payment.amount:
        raise RefundRefused("partial_refund_not_supported", f"{gateway.name} can only reverse "
                            f"a whole payment: refund all {payment.amount} {payment.currency} "
                            "of it (omit amount), or pay the difference back another way.",
                            "amount")
    step = getattr(all_methods().get(payment.method), "amount_step", 1)
    if amount % step:
        raise RefundRefused("refund_amount_invalid", f"{gateway.name} moves whole units of "
                            f"{payment.currency} only: the amount must be a multiple of {step}.",
                            "amount")
    refund = Refund(id=new_id("re"), payment_id=payment.id, merchant_id=payment.merchant_id,
                    livemode=payment.livemode, amount=amount, currency=payment.currency,
                    status=RefundStatus.PENDING, reason=reason, created_at=utcnow())
    db.session.add(refund)
    db.session.flush()
    return refund


def send_refund(refund: Refund) -> Refund:
    """Ask the provider to refund a committed pending refund and record its answer with
    the merchant's ``refund.*`` event (flush only after the call; the caller commits).
    The caller has committed the pending refund: the read transaction before the call is
    ended here, so that none is held across it. An answer the
    provider could not give (timeout after sending) leaves it pending. Raises
    RefundRefused (the pending refund deleted, flush only) when the adapter says it
    cannot refund this payment after all."""
    payment = db.session.get(Payment, refund.payment_id)
    gateway = get_gateway(payment.gateway)
    context = account_context(db.session.get(GatewayAccount, payment.gateway_account_id))
    # The refund was committed by the caller: end the read transaction, so that none is
    # held across the provider's call.
    db.session.commit()
    try:
        with metrics.provider_call(gateway.name, "refund", payment.id, refund=refund.id):
            result = gateway.refund(context, payment.provider_reference,
                                    refund.amount, refund.currency, refund.reason, refund.id,
                                    receipt=payment.provider_receipt)
        status, reference, message = result.status, result.provider_reference, \
            result.failure_message
    except GatewayNotSupported as exc:
        db.session.delete(refund)
        db.session.flush()
        refused = not_supported(gateway.name)
        if exc.message:
            refused = RefundRefused(refused.code, f"{exc.message} {refused}")
        raise refused from None
    except GatewayUnavailable as exc:
        if exc.outcome_unknown:  # the provider may have acted: left pending for reconciliation
            log.warning("refund outcome unknown", extra={"refund": refund.id})
            status, reference, message = RefundStatus.PENDING, None, None
        else:
            status, reference, message = (RefundStatus.FAILED, None,
                                          exc.message or "provider unavailable")
    except GatewayError as exc:
        status, reference, message = RefundStatus.FAILED, None, exc.message or exc.code
    if status == RefundStatus.PENDING:
        refund.provider_reference = reference or refund.provider_reference
        db.session.flush()
        return refund
    settle_refund(refund.id, status, reference, message)
    return refund


def settle_refund(refund_id: str, status: str, provider_reference: str | None = None,
                  failure_message: str | None = None) -> bool:
    """Move a pending refund to ``status`` ("succeeded" or "failed") with the merchant's
    ``refund.*`` event, under the payment's then the refund's row lock (flush only).
    A refund that is no longer pending is left as it is: returns False (a repeat)."""
    refund = db.session.get(Refund, refund_id)
    payment = service.lock_payment(refund.payment_id)
    refund = db.session.execute(
        db.select(Refund).where(Refund.id == refund_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if refund.status != RefundStatus.PENDING or status == RefundStatus.PENDING:
        return False
    refund.provider_reference = provider_reference or refund.provider_reference
    refund.status = RefundStatus(status)
    refund.completed_at = utcnow()
    if refund.status == RefundStatus.SUCCEEDED:
        payment.refunded_amount += refund.amount
        record_refund_event("refund.succeeded", refund)
    else:
        refund.failure_message = failure_message
        record_refund_event("refund.failed", refund)
    db.session.flush()
    return True


def settle_refund_from(gateway: Gateway, account: GatewayAccount,
                       update: RefundUpdate) -> tuple[str, str | None]:
    """Act on a provider's notification about a refund: find our refund (by the
    provider's refund reference, else the oldest pending refund of that payment, of
    that amount when it says one), confirm the word with the provider when the
    notification was not signed, and settle it. Commits. Returns ``(outcome, error)``
    for the notification's record; an unknown refund or an unconfirmed word changes
    nothing."""
    refund = _find_refund(account.id, update)
    if refund is None:
        return "unknown_refund", None
    status, failure = update.status, update.failure_message
    trusted = gateway.refund_results_trusted and bool(update.provider_reference) and \
        refund.provider_reference == update.provider_reference
    if gateway.notifications_need_confirmation and not trusted:
        payment = db.session.get(Payment, refund.payment_id)
        context = account_context(account)
        refund_ref, payment_ref, refund_id = (refund.provider_reference,
                                              payment.provider_reference, refund.id)
        db.session.commit()   # no transaction held across the provider call
        try:
            with metrics.provider_call(gateway.name, "refund_status", refund=refund_id):
                result = gateway.fetch_refund(context, refund_ref, payment_ref, refund_id)
        except GatewayError as exc:
            return "refund_unconfirmed", f"{exc.code}: {exc}"
        status, failure = result.status, result.failure_message
    if status == RefundStatus.PENDING:
        return "refund_pending", None
    changed = settle_refund(refund.id, status, update.provider_reference, failure)
    db.session.commit()
    return (f"refund_{status}" if changed else "refund_repeated"), None


def refresh_refund(refund_id: str) -> bool:
    """Ask the provider where a pending refund stands and settle it if it ended. Commits.
    Returns True if it was settled; provider errors are logged, never raised."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING:
        return False
    payment = db.session.get(Payment, refund.payment_id)
    gateway = get_gateway(payment.gateway)
    context = account_context(db.session.get(GatewayAccount, payment.gateway_account_id))
    args = (refund.provider_reference, payment.provider_reference, refund.id)
    db.session.commit()   # no transaction held across the provider call
    try:
        with metrics.provider_call(gateway.name, "refund_status", refund=refund_id):
            result = gateway.fetch_refund(context, *args)
    except GatewayNotSupported:
        return False      # only its notifications settle it
    except GatewayError as exc:
        log.warning("refund status check failed", extra={"refund": refund_id,
                                                         "code": exc.code})
        return False
    if result.status == RefundStatus.PENDING:
        return False
    changed = settle_refund(refund_id, result.status, result.provider_reference,
                            result.failure_message)
    db.session.commit()
    return changed


def _find_refund(account_id: int, update: RefundUpdate) -> Refund | None:
    mine = db.select(Refund).join(Payment, Payment.id == Refund.payment_id).where(
        Payment.gateway_account_id == account_id)
    if update.provider_reference:
        found = db.session.execute(
            mine.where(Refund.provider_reference == update.provider_reference).limit(1)
        ).scalar_one_or_none()
        if found is not None:
            return found
    if not update.payment_reference:
        return None
    pending = mine.where(Payment.provider_reference == update.payment_reference,
                         Refund.status == RefundStatus.PENDING).order_by(Refund.created_at)
    if update.amount is not None:
        same = db.session.execute(pending.where(Refund.amount == update.amount).limit(1)
                                  ).scalar_one_or_none()
        if same is not None:
            return same
    return db.session.execute(pending.limit(1)).scalar_one_or_none()
