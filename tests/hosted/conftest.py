"""Factories for the hosted-page tests: checkouts and attempts written straight to the
database, so these tests depend on nothing but the models and the payment services."""
import re
from datetime import timedelta

import pytest

from checkout.extensions import db
from checkout.core.ids import new_id
from checkout.models import Checkout, GatewayAccount, Payment
from checkout.payments import service
from checkout.core.timeutil import utcnow

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def make_checkout(merchant):
    """make_checkout(amount=5000, currency="XOF", country="BJ", ...) -> checkout id."""

    def factory(m=None, **kw):
        m = m or merchant
        fields = dict(order_id=new_id("ord", 8), amount=5000, currency="XOF", country="BJ",
                      description="2 x T-shirt", return_url="https://shop.example/orders/1",
                      cancel_url=None, customer=None, methods=None, locale=None,
                      status="open", expires_at=utcnow() + timedelta(hours=1))
        fields.update(kw)
        checkout = Checkout(id=new_id("cs"), merchant_id=m.id, livemode=False, **fields)
        db.session.add(checkout)
        db.session.commit()
        return checkout.id

    return factory


@pytest.fixture
def make_attempt():
    """make_attempt(checkout_id, "mtn_bj", phone=..., next_action=None) -> payment id:
    a pending attempt as start_payment leaves it, without calling any provider."""

    def factory(checkout_id, method="mtn_bj", phone="+2290190000001", next_action=None):
        checkout = db.session.get(Checkout, checkout_id)
        gateway = "cod" if method == "cod" else "feexpay"
        account = db.session.execute(db.select(GatewayAccount).where(
            GatewayAccount.merchant_id == checkout.merchant_id,
            GatewayAccount.gateway == gateway)).scalar_one()
        payment = Payment(id=new_id("pay"), checkout_id=checkout_id,
                          merchant_id=checkout.merchant_id, livemode=False, gateway=gateway,
                          gateway_account_id=account.id, method=method,
                          amount=checkout.amount, currency=checkout.currency,
                          phone=None if method == "cod" else phone)
        service.begin_attempt(checkout_id, payment, "shopper")
        if next_action:
            payment.next_action = next_action
        db.session.commit()
        return payment.id

    return factory


def report(payment_id, status, **kw):
    """A gateway's report applied through the one service that writes statuses."""
    from checkout.gateways.base import GatewayResult
    if status == "succeeded":
        payment = db.session.get(Payment, payment_id)
        kw.setdefault("amount", payment.amount)
        kw.setdefault("currency", payment.currency)
    service.apply_result(payment_id, GatewayResult(status=status, **kw), "test")
    db.session.commit()


def csrf_token(html):
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)
