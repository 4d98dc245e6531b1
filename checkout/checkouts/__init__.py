"""Creating checkouts: the one-live-checkout-per-order rule.

Shared by the API (``POST /api/v1/checkouts``) and signed links (``/pay/<merchant>``).
``prepare`` (or ``params.parse``) turns JSON-typed input into a :class:`NewCheckout` or
raises CheckoutInputError; ``create_or_reuse`` applies the order rule and writes without
committing: the caller commits once. Two concurrent creators of one order are decided by
the partial unique index ``uq_checkouts_active_order``: the loser gets an IntegrityError
(:func:`is_order_conflict`), rolls back, and calling ``create_or_reuse`` again returns the
winner.
"""
import functools
from datetime import timedelta

from sqlalchemy import or_

from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Checkout
from checkout.payments import service
from checkout.payments.service import PaymentStateError
from checkout.payments.state import CHECKOUT_ACTIVE, CheckoutStatus

from .context import MerchantContext, forget, merchant_context, prepare
from .params import CheckoutInputError, NewCheckout, check_methods, parse

__all__ = ["CheckoutInputError", "MerchantContext", "NewCheckout", "OrderConflict",
           "check_methods", "constraint_violated", "create_or_reuse", "forget",
           "is_order_conflict", "merchant_context", "parse", "prepare"]


class OrderConflict(Exception):
    """The order cannot get a checkout now: ``order_already_paid`` or
    ``order_payment_in_progress``. ``checkout`` is the checkout standing in the way."""

    def __init__(self, code, message, checkout):
        super().__init__(message)
        self.code, self.message, self.checkout = code, message, checkout


def create_or_reuse(ctx, new, source="api", reuse_processing=False, on_existing_order=None,
                    link_signature=None):
    """Apply the order rule and return ``(checkout, created)``. Never commits.

    A new order's checkout is inserted at once, in one statement that also checks that
    the order has no live or paid checkout (the returned row is then not in the session:
    read it, don't change it). Otherwise: an open, unexpired checkout of the same
    (merchant, mode, order_id) with the same amount and currency is returned again; an
    open one with another amount or currency is canceled (``checkout.canceled``) and one
    past its expiry expired, then a new one is added. Raises OrderConflict
    ``order_already_paid`` for a paid order and ``order_payment_in_progress`` while an
    attempt is pending (unless ``reuse_processing`` and the amount and currency match:
    signed links send the shopper back to it). Raises IntegrityError when a concurrent
    request created the order's checkout first (:func:`is_order_conflict`): roll back and
    call again. ``on_existing_order()``, if given, is called when the order already has a
    checkout, before anything is read or changed (the API answers replays there).
    ``link_signature``: the signed link this checkout comes from (kept on the row).
    """
    now = utcnow()
    checkout = Checkout(
        id=new_id("cs"), merchant_id=ctx.merchant_id, livemode=ctx.livemode,
        order_id=new.order_id, amount=new.amount, currency=new.currency,
        description=new.description, country=new.country, customer=new.customer,
        methods=new.methods, return_url=new.return_url, cancel_url=new.cancel_url,
        metadata_=new.metadata, locale=new.locale, status=CheckoutStatus.OPEN, payment_id=None,
        paid_late=False, expires_at=now + timedelta(seconds=new.expires_in),
        created_at=now, updated_at=now, completed_at=None, link_signature=link_signature)
    if _insert_if_new_order(checkout):
        return checkout, True
    if on_existing_order is not None:
        on_existing_order()
    live = db.session.execute(
        db.select(Checkout).where(
            Checkout.merchant_id == ctx.merchant_id, Checkout.livemode == ctx.livemode,
            Checkout.order_id == new.order_id,
            or_(status_is(Checkout.status, *CHECKOUT_ACTIVE),
                status_is(Checkout.status, CheckoutStatus.PAID)))
    ).scalars().all()
    for c in live:
        if c.status == CheckoutStatus.PAID:
            raise _paid(new.order_id, c)
    for c in live:
        same = c.amount == new.amount and c.currency == new.currency
        if c.status == CheckoutStatus.PROCESSING:
            if reuse_processing and same:
                return c, False
            raise _in_progress(new.order_id, c)
        if same and c.expires_at > now:
            return c, False
        try:
            if c.expires_at <= now:
                service.expire_checkout(c.id, source=source)
            else:
                service.cancel_checkout(c.id, source=source)
        except PaymentStateError:
            pass
        # The services re-read the row under its lock: it may have moved meanwhile.
        if c.status == CheckoutStatus.PAID:
            raise _paid(new.order_id, c)
        if c.status == CheckoutStatus.PROCESSING:
            raise _in_progress(new.order_id, c)
    db.session.add(checkout)
    return checkout, True


def _insert_if_new_order(checkout):
    """INSERT ... SELECT ... WHERE the order has no open, processing or paid checkout: one
    statement for the common case. True if the row was inserted."""
    params = {f"v_{col.name}": getattr(checkout, attr.key)
              for attr in Checkout.__mapper__.column_attrs for col in attr.columns}
    result = db.session.execute(_insert_statement(), params,
                                execution_options={"preserve_rowcount": True})
    return result.rowcount == 1


@functools.cache
def _insert_statement():
    # Built once: constructing a 21-column statement per request costs more than running it.
    table = Checkout.__table__
    order = db.select(table.c.id).where(table.c.merchant_id == db.bindparam("v_merchant_id"),
                                        table.c.livemode == db.bindparam("v_livemode"),
                                        table.c.order_id == db.bindparam("v_order_id"))
    names = [col.name for col in table.columns]
    source = db.select(*[db.bindparam(f"v_{n}", type_=table.c[n].type) for n in names]).where(
        # Two NOT EXISTS, each matching one partial unique index.
        ~order.where(status_is(table.c.status, *CHECKOUT_ACTIVE)).exists(),
        ~order.where(status_is(table.c.status, CheckoutStatus.PAID)).exists())
    return table.insert().from_select(names, source)


def status_is(column, *statuses):
    """``column IN ('open', 'processing')`` with the statuses as constants in the SQL text,
    not bind parameters: PostgreSQL uses a partial index only if the query's own text
    implies the index's predicate, and the drivers' prepared statements run on cached
    generic plans, which know no parameter values (with parameters, the order lookups
    would scan all of a merchant's checkouts)."""
    for status in statuses:
        if not status.isalpha():
            raise ValueError(status)
    consts = [db.literal_column(f"'{status}'") for status in statuses]
    return column.in_(consts) if len(consts) > 1 else column == consts[0]


def is_order_conflict(exc):
    """Whether an IntegrityError is another live checkout of the same order (a race lost)."""
    return constraint_violated(exc, "uq_checkouts_active_order", "checkouts.order_id")


def constraint_violated(exc, constraint, sqlite_column):
    """Whether IntegrityError ``exc`` names ``constraint`` (PostgreSQL reports it; SQLite
    only names the columns, so ``sqlite_column`` is looked for in its message)."""
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == constraint
    return sqlite_column in str(getattr(exc, "orig", exc))


def _paid(order_id, checkout):
    return OrderConflict("order_already_paid", f"Order {order_id!r} is already paid "
                         f"(checkout {checkout.id}).", checkout)


def _in_progress(order_id, checkout):
    return OrderConflict("order_payment_in_progress", f"A payment of order {order_id!r} is in "
                         f"progress (checkout {checkout.id}); wait for its outcome.", checkout)

