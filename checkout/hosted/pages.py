"""Loading a checkout for a shopper page and saying where its shopper stands.

``shopper_state`` is the one place that turns a checkout and its latest attempt into
what the shopper sees: the method picker, "approve on your phone", a failure, a result.
"""
from dataclasses import dataclass

from flask import abort, g
from flask_babel import get_locale

from checkout.core.money import format_money
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import all_methods, get_gateway
from checkout.models import Checkout, Merchant, Payment
from checkout.payments import service
from checkout.payments.state import CheckoutStatus, PaymentStatus

# What a page shows, by shopper state.
CHOOSE = "choose"          # open, nothing pending: pick a way to pay
WAITING = "waiting"        # an attempt is pending: approve it on the phone
REDIRECT = "redirect"      # pending, and the provider's page must be visited
OTP = "otp"                # pending, and the provider asks for a code the shopper types
CASH = "cash"              # cash on delivery chosen: pay the courier
FAILED = "failed"          # the latest attempt failed; the checkout is open again
PAID = "paid"
EXPIRED = "expired"
CANCELED = "canceled"
FINAL = (PAID, EXPIRED, CANCELED)


@dataclass
class Page:
    checkout: Checkout
    merchant: Merchant
    payment: Payment | None   # the latest attempt, if any
    state: str

    @property
    def amount(self):
        return money_text(self.checkout.amount, self.checkout.currency)


def locale_code():
    return str(get_locale() or "en")


def money_text(amount, currency):
    """The amount as the shopper reads it in the current language (``5 000 F CFA``)."""
    return format_money(amount, currency, locale=locale_code())


def method_of(payment):
    """The catalog Method of an attempt (None for a method no gateway offers any more)."""
    return all_methods().get(payment.method) if payment is not None else None


def shopper_state(checkout, payment):
    """Where the shopper of ``checkout`` stands, given its latest attempt ``payment``."""
    if checkout.status in FINAL:
        return checkout.status
    if (checkout.status == CheckoutStatus.PROCESSING and payment is not None
            and payment.status == PaymentStatus.PENDING):
        if get_gateway(payment.gateway).confirmed_by_merchant:
            return CASH
        step = (payment.next_action or {}).get("type")
        if step == "redirect":
            return REDIRECT
        if step == "otp":
            return OTP
        return WAITING
    if checkout.status == CheckoutStatus.PROCESSING:
        return WAITING
    if payment is not None and payment.status in (PaymentStatus.FAILED, PaymentStatus.EXPIRED) \
            and payment.failure_code != "shopper_switched":
        return FAILED
    return CHOOSE


def load_page(checkout_id):
    """The checkout, its merchant, latest attempt and shopper state; 404 if unknown.

    An open checkout whose time is up is expired here (and committed), so a shopper
    never sees a form for a checkout that can no longer be paid."""
    row = _load(checkout_id) if _plausible(checkout_id) else None
    if row is None:
        abort(404)
    checkout, merchant, payment = row
    if checkout.status == CheckoutStatus.OPEN and checkout.expires_at <= utcnow():
        service.expire_checkout(checkout.id, source="shopper")
        db.session.commit()
    # The merchant's language for this checkout, unless the shopper chose one (i18n.py).
    g.checkout_locale = checkout.locale
    return Page(checkout, merchant, payment, shopper_state(checkout, payment))


def _load(checkout_id):
    """The checkout, its merchant and its latest attempt, in one round trip (this page is
    the hottest read of the product)."""
    return db.session.execute(
        db.select(Checkout, Merchant, Payment)
        .join(Merchant, Merchant.id == Checkout.merchant_id)
        .outerjoin(Payment, Payment.id == Checkout.latest_payment_id)
        .where(Checkout.id == checkout_id)
        .execution_options(populate_existing=True)).first()


def _plausible(checkout_id):
    """An id of ours could be this (no query for anything else: a NUL is refused by
    PostgreSQL, and an error page is not the answer to a wrong address)."""
    return plausible_id(checkout_id, "cs_")


def plausible_id(value, prefix):
    return value.startswith(prefix) and len(value) <= 40 and value.isascii() and \
        value[len(prefix):].isalnum()
