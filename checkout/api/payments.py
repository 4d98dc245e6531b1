"""Payment attempts: retrieve, list, confirm cash on delivery (api.md "Payments")."""
from flask import g

from checkout.errors import ApiError
from checkout.events.objects import serialize_payment
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.models import Payment
from checkout.payments import service
from checkout.payments.state import PAYMENT_STATUSES

from .blueprint import bp
from .checkouts import check_query
from .common import get_owned, list_response, paginate, query_filters
from .idempotency import commit_response, idempotent


@bp.get("/payments/<payment_id>")
def retrieve_payment(payment_id):
    return serialize_payment(get_payment(payment_id))


@bp.get("/payments")
def list_payments():
    check_query({"status", "checkout", "limit", "starting_after"})
    filters = query_filters({"status": (Payment.status, PAYMENT_STATUSES),
                             "checkout": (Payment.checkout_id, None)})
    caller = g.caller
    rows, has_more = paginate(Payment, caller.merchant_id, caller.livemode, filters)
    return list_response([serialize_payment(p) for p in rows], has_more)


@bp.post("/payments/<payment_id>/confirm")
@idempotent
def confirm_payment(payment_id):
    """The merchant received the cash of a cash-on-delivery attempt: it succeeds."""
    payment = get_payment(payment_id)
    if not get_gateway(payment.gateway).confirmed_by_merchant:
        raise ApiError(400, "invalid_request_error", "not_cash_payment",
                       "Only cash-on-delivery payments are confirmed by the merchant; this one "
                       f"goes through {payment.gateway}, which reports its own outcome.", "id")
    try:
        service.confirm_cash(payment.id, source="api")
    except service.PaymentStateError as exc:
        db.session.rollback()
        raise ApiError(409, "invalid_request_error", exc.code, str(exc)) from exc
    return commit_response(serialize_payment(payment), 200)


def get_payment(payment_id, lock=False, param="id"):
    """The caller's payment ``payment_id`` (optionally under a row lock), or a 404."""
    return get_owned(Payment, payment_id, "payment", param, lock)
