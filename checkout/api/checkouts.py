"""Checkouts: create, retrieve, list, cancel (api.md "Checkouts")."""
from flask import g, request
from sqlalchemy.exc import IntegrityError

from checkout import checkouts
from checkout.errors import ApiError
from checkout.events.objects import serialize_checkout
from checkout.extensions import db
from checkout.models import Checkout, Payment
from checkout.payments import service
from checkout.payments.state import CHECKOUT_STATUSES

from .blueprint import bp
from .common import (
    get_owned,
    invalid,
    json_body,
    list_response,
    paginate,
    query_filters,
    storable,
)
from .idempotency import answer_if_known, commit_response, idempotent

# A race lost for an order is retried: the winner is then found and returned (or replaced,
# if it has another amount). Requests changing one order's amount concurrently may keep
# losing: they get a 409 after this many tries rather than waiting.
ATTEMPTS = 5


def check_query(allowed):
    """400 for a query parameter the list does not know (a typo would silently filter nothing)."""
    for name, value in request.args.items(multi=True):
        if name not in allowed:
            raise invalid(f"Unknown query parameter '{name[:64]}'.", name[:64],
                          code="parameter_unknown")
        if not storable(value):
            raise invalid(f"{name} may not contain NUL characters.", name)


@bp.post("/checkouts")
@idempotent(lookup="on_conflict")
def create_checkout():
    data = json_body()
    caller = g.caller
    try:
        ctx, new = checkouts.prepare(data, caller.merchant_id, caller.livemode,
                                     cache_key=caller.merchant_public_id)
    except checkouts.CheckoutInputError as exc:
        raise invalid(exc.message, exc.param, code=exc.code) from exc
    for _attempt in range(ATTEMPTS):
        try:
            checkout, created = checkouts.create_or_reuse(
                ctx, new, source="api", on_existing_order=answer_if_known)
            return commit_response(serialize_checkout(checkout), 201 if created else 200)
        except checkouts.OrderConflict as exc:
            raise ApiError(409, "invalid_request_error", exc.code, exc.message, "order_id") from exc
        except IntegrityError as exc:
            db.session.rollback()
            if not checkouts.is_order_conflict(exc):
                raise
    raise ApiError(409, "invalid_request_error", "order_conflict", "Other requests are changing "
                   "this order's checkout at the same time; retry.", "order_id")


@bp.get("/checkouts/<checkout_id>")
def retrieve_checkout(checkout_id):
    checkout = _get(checkout_id)
    payments = db.session.execute(
        db.select(Payment).where(Payment.checkout_id == checkout.id)
        .order_by(Payment.created_at, Payment.id)).scalars().all()
    paid = next((p for p in payments if p.id == checkout.payment_id), None)
    return serialize_checkout(checkout, payment=paid, payments=payments)


@bp.get("/checkouts")
def list_checkouts():
    check_query({"status", "order_id", "limit", "starting_after"})
    filters = query_filters({"status": (Checkout.status, CHECKOUT_STATUSES),
                             "order_id": (Checkout.order_id, None)})
    caller = g.caller
    rows, has_more = paginate(Checkout, caller.merchant_id, caller.livemode, filters)
    paid_ids = [c.payment_id for c in rows if c.payment_id]
    paid = {}
    if paid_ids:
        paid = {p.id: p for p in db.session.execute(
            db.select(Payment).where(Payment.id.in_(paid_ids))).scalars()}
    return list_response([serialize_checkout(c, payment=paid.get(c.payment_id)) for c in rows],
                         has_more)


@bp.post("/checkouts/<checkout_id>/cancel")
@idempotent
def cancel_checkout(checkout_id):
    checkout = _get(checkout_id)
    try:
        checkout = service.cancel_checkout(checkout.id, source="api")
    except service.PaymentStateError as exc:
        db.session.rollback()
        raise ApiError(409, "invalid_request_error", exc.code,
                       f"{exc} Only an open checkout, with no payment pending or made, can be "
                       "canceled.") from exc
    payment = db.session.get(Payment, checkout.payment_id) if checkout.payment_id else None
    return commit_response(serialize_checkout(checkout, payment=payment), 200)


def _get(checkout_id):
    return get_owned(Checkout, checkout_id, "checkout")
