"""Refunds: create (through the payment's gateway), retrieve, list (api.md "Refunds").

The rules are ``payments.refunds``; here the request is parsed, and the pending refund
is committed together with the reserved Idempotency-Key before the provider is called
(a crash mid-call leaves a pending refund we know about, and no second request with
that key can call again).
"""
from flask import g, request

from checkout.errors import ApiError
from checkout.events.objects import serialize_refund
from checkout.extensions import db
from checkout.models import Refund
from checkout.payments.refunds import RefundRefused, prepare_refund, send_refund

from . import idempotency
from .blueprint import bp
from .checkouts import check_query
from .common import get_owned, invalid, json_body, list_response, paginate
from .idempotency import commit_response, idempotent
from .payments import get_payment

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
    try:
        refund = prepare_refund(payment, amount, reason)
    except RefundRefused as exc:
        raise _refused(exc) from None
    idempotency.reserve()
    idempotency.commit_reservation()
    try:
        send_refund(refund)
    except RefundRefused as exc:
        idempotency.release()
        db.session.commit()
        raise _refused(exc) from None
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


def _refused(exc):
    return ApiError(400, "invalid_request_error", exc.code, exc.message, exc.param)
