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
from checkout.gateways import get_gateway
from checkout.gateways.errors import GatewayError, GatewayNotSupported, GatewayUnavailable
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, Payment, Refund

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
    refund = Refund(id=new_id("re"), payment_id=payment.id, merchant_id=payment.merchant_id,
                    livemode=payment.livemode, amount=amount, currency=payment.currency,
                    status=RefundStatus.PENDING, reason=reason, created_at=utcnow())
    db.session.add(refund)
    db.session.flush()
    return refund


def send_refund(refund: Refund) -> Refund:
    """Ask the provider to refund a committed pending refund and record its answer with
    the merchant's ``refund.*`` event (flush only; the caller commits). An answer the
    provider could not give (timeout after sending) leaves it pending. Raises
    RefundRefused (the pending refund deleted, flush only) when the adapter says it
    cannot refund this payment after all."""
    payment = db.session.get(Payment, refund.payment_id)
    gateway = get_gateway(payment.gateway)
    account = db.session.get(GatewayAccount, payment.gateway_account_id)
    try:
        result = gateway.refund(account_context(account), payment.provider_reference,
                                refund.amount, refund.currency, refund.reason, refund.id)
        status, reference, message = result.status, result.provider_reference, \
            result.failure_message
    except GatewayNotSupported:
        db.session.delete(refund)
        db.session.flush()
        raise not_supported(gateway.name) from None
    except GatewayUnavailable as exc:
        if exc.outcome_unknown:  # the provider may have acted: left pending for reconciliation
            log.warning("refund outcome unknown", extra={"refund": refund.id})
            status, reference, message = RefundStatus.PENDING, None, None
        else:
            status, reference, message = (RefundStatus.FAILED, None,
                                          exc.message or "provider unavailable")
    except GatewayError as exc:
        status, reference, message = RefundStatus.FAILED, None, exc.message or exc.code
    payment = service.lock_payment(payment.id)
    refund.provider_reference = reference or refund.provider_reference
    refund.status = status
    if status == RefundStatus.SUCCEEDED:
        payment.refunded_amount += refund.amount
        refund.completed_at = utcnow()
        record_refund_event("refund.succeeded", refund)
    elif status == RefundStatus.FAILED:
        refund.failure_message = message
        refund.completed_at = utcnow()
        record_refund_event("refund.failed", refund)
    return refund
