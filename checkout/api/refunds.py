"""Refunds: create (through the payment's gateway), retrieve, list (api.md "Refunds").

Creating a refund is two commits around the provider call, like starting a payment: the
pending refund and the reserved Idempotency-Key are committed first (a crash mid-call leaves
a pending refund we know about, and no second request with that key can call again), then
the provider's answer. Concurrent refunds of one payment are serialised by its row lock, so
their sum never exceeds the payment.
"""
import logging

from flask import g, request
from sqlalchemy import func

from ..errors import ApiError
from ..events import record_refund_event
from ..extensions import db
from ..gateways import get_gateway
from ..gateways.base import Gateway
from ..gateways.errors import GatewayError, GatewayNotSupported, GatewayUnavailable
from ..ids import new_id
from ..merchants import account_context
from ..models import GatewayAccount, Refund
from ..payments import service
from ..serializers import serialize_refund
from ..timeutil import utcnow
from . import bp, idempotency
from .checkouts import check_query
from .common import get_owned, invalid, json_body, list_response, paginate
from .idempotency import commit_response, idempotent
from .payments import get_payment

log = logging.getLogger(__name__)
FIELDS = ("payment", "amount", "reason")


@bp.post("/refunds")
@idempotent
def create_refund():
    data = json_body()
    for name in data:
        if name not in FIELDS:
            raise invalid(f"Unknown parameter '{name}'.", name, code="parameter_unknown")
    payment_id, amount, reason = data.get("payment"), data.get("amount"), data.get("reason")
    if not isinstance(payment_id, str) or not payment_id:
        raise invalid("payment is required: the id (pay_...) of the payment to refund.",
                      "payment", code="parameter_missing" if payment_id is None else
                      "parameter_invalid")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)
                               or amount <= 0):
        raise invalid("amount must be a positive integer of minor units.", "amount",
                      code="amount_invalid")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise invalid("reason must be a string of at most 500 characters.", "reason")
    payment = get_payment(payment_id, lock=True, param="payment")
    if payment.status != "succeeded":
        raise _refused("payment_not_refundable", f"Only a succeeded payment can be refunded; "
                       f"this one is {payment.status}.", "payment")
    gateway = get_gateway(payment.gateway)
    if type(gateway).refund is Gateway.refund:
        raise _not_supported(gateway.name)
    # SUM(bigint) is numeric in PostgreSQL (a Decimal here): back to an int of minor units.
    pending = int(db.session.execute(
        db.select(func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.payment_id == payment.id, Refund.status == "pending")).scalar_one())
    left = payment.amount - payment.refunded_amount - pending
    amount = left if amount is None else amount
    if left <= 0 or amount > left:
        raise _refused("refund_amount_too_large", f"At most {max(left, 0)} {payment.currency} "
                       f"of this payment is left to refund.", "amount")
    refund = Refund(id=new_id("re"), payment_id=payment.id, merchant_id=payment.merchant_id,
                    livemode=payment.livemode, amount=amount, currency=payment.currency,
                    status="pending", reason=reason, created_at=utcnow())
    db.session.add(refund)
    idempotency.reserve()
    idempotency.commit_reservation()
    return _call_gateway(gateway, payment, refund)


def _call_gateway(gateway, payment, refund):
    account = db.session.get(GatewayAccount, payment.gateway_account_id)
    try:
        result = gateway.refund(account_context(account), payment.provider_reference,
                                refund.amount, refund.currency, refund.reason, refund.id)
        status, reference, message = result.status, result.provider_reference, \
            result.failure_message
    except GatewayNotSupported:
        db.session.delete(refund)
        idempotency.release()
        db.session.commit()
        raise _not_supported(gateway.name)
    except GatewayUnavailable as exc:
        if exc.outcome_unknown:  # the provider may have acted: left pending for reconciliation
            log.warning("refund outcome unknown", extra={"refund": refund.id})
            status, reference, message = "pending", None, None
        else:
            status, reference, message = "failed", None, exc.message or "provider unavailable"
    except GatewayError as exc:
        status, reference, message = "failed", None, exc.message or exc.code
    payment = service.lock_payment(payment.id)
    refund.provider_reference = reference or refund.provider_reference
    refund.status = status
    if status == "succeeded":
        payment.refunded_amount += refund.amount
        refund.completed_at = utcnow()
        record_refund_event("refund.succeeded", refund)
    elif status == "failed":
        refund.failure_message = message
        refund.completed_at = utcnow()
        record_refund_event("refund.failed", refund)
    return commit_response(serialize_refund(refund), 201)


@bp.get("/refunds/<refund_id>")
def retrieve_refund(refund_id):
    return serialize_refund(get_owned(Refund, refund_id, "refund"))


@bp.get("/refunds")
def list_refunds():
    check_query({"payment", "limit", "starting_after"})
    filters = []
    if request.args.get("payment") is not None:
        filters.append(Refund.payment_id == request.args["payment"])
    caller = g.caller
    rows, has_more = paginate(Refund, caller.merchant_id, caller.livemode, filters)
    return list_response([serialize_refund(r) for r in rows], has_more)


def _refused(code, message, param):
    return ApiError(400, "invalid_request_error", code, message, param)


def _not_supported(name):
    return _refused("refund_not_supported", f"Payments through {name} cannot be refunded "
                    "through its API: refund the customer directly (for example by mobile-money "
                    "transfer or in cash).", "payment")
