"""Asking a provider where a payment stands and applying its answer.

The one path by which polling, incoming notifications and the shopper's return learn an
outcome from a status call. No transaction is held open across the provider call (on
SQLite every transaction holds the write lock; on PostgreSQL an idle transaction would
pin a connection for up to the read timeout): what the call needs is read, the read
transaction ends, the provider is asked, and ``service.apply_result`` writes under its
row locks.
"""
import logging
from dataclasses import replace

from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.base import GatewayResult
from checkout.gateways.errors import GatewayError
from checkout.merchants.accounts import cached_account_context
from checkout.models import Checkout, Payment
from checkout.observability import metrics
from checkout.payments.state import CheckoutStatus, PaymentStatus, Report

from . import service, state

log = logging.getLogger(__name__)


def fetch_and_apply(payment_id: str, source: str, reference: str | None = None,
                    claim: GatewayResult | None = None) -> tuple[GatewayResult, state.Decision]:
    """Fetch the provider's status of ``payment_id`` (by ``reference``, else the stored
    provider reference) and apply it with ``service.apply_result``. Commits.

    ``claim`` is what an unconfirmed notification said: when the status call agrees with
    it, what only the notification carries (the payer's receipt, the amount) completes
    the answer. The caller has checked the claim's amount and phone against ours.

    Returns ``(result, decision)``. Raises LookupError for an unknown payment and the
    adapter's typed GatewayError (nothing applied, nothing left open) when the provider
    cannot tell: the caller decides what that means for its source.
    """
    row = db.session.execute(
        db.select(Payment, Checkout.status).join(Checkout, Checkout.id == Payment.checkout_id)
        .where(Payment.id == payment_id)).first()
    if row is None:
        raise LookupError(payment_id)
    payment, checkout_status = row
    reference = reference or payment.provider_reference
    status = payment.status
    gateway_name, account_id = payment.gateway, payment.gateway_account_id
    db.session.commit()  # end the read transaction before the network call
    result = ask_provider(gateway_name, account_id, reference, payment_id, source)
    if claim is not None and claim.status == result.status:
        result = replace(result, receipt=result.receipt or claim.receipt,
                         amount=result.amount if result.amount is not None else claim.amount)
    if result.status == Report.PENDING and status == PaymentStatus.PENDING and \
            result.provider_reference in (None, reference):
        # Nothing to apply (the table makes every pending report a no-op): skip the row
        # locks. This is the common case of a poll.
        return result, state.Decision(state.Outcome.NOOP, PaymentStatus.PENDING,
                                       CheckoutStatus(checkout_status))
    try:
        decision = service.apply_result(payment_id, result, source)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result, decision


def ask_provider(gateway_name: str, account_id: int, reference: str | None,
                 payment_id: str, source: str) -> GatewayResult:
    """The status call itself, timed and logged (``observability.metrics``), with the
    account's credentials from the short per-process cache. Holds no transaction (it
    ends the session's, if one was open, first). Raises the adapter's GatewayError."""
    gateway = get_gateway(gateway_name)
    context = cached_account_context(account_id)
    db.session.commit()
    try:
        with metrics.provider_call(gateway.name, "status", payment_id, source=source):
            return gateway.fetch_status(context, reference, payment_id)
    except GatewayError:
        db.session.rollback()
        raise


def refresh_payment(payment_id: str, source: str) -> state.Decision | None:
    """Ask the provider about ``payment_id`` and apply the answer (source: "poll",
    "webhook", "return", ...). Commits.

    Returns the ``state.Decision``, or None when nothing was learnt: unknown payment,
    an attempt that already succeeded (nothing can change it), no provider reference to
    ask about, or a provider error. Provider errors never fail an attempt here: they
    are logged and the attempt stays as it was (polling or the deadline settle it).
    An expired or failed attempt is still asked: a late success is honoured.
    """
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status == PaymentStatus.SUCCEEDED:
        return None
    if not payment.provider_reference:
        return None
    try:
        _result, decision = fetch_and_apply(payment_id, source)
    except GatewayError as exc:
        log.warning("status check failed; attempt left as it was",
                    extra={"payment": payment_id, "source": source, "code": exc.code,
                           "retryable": exc.retryable})
        return None
    return decision
