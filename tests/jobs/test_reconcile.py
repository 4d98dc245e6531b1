"""Reconciliation: an attempt that ended on our side without the provider's final word is
asked again on a slow schedule, and money the provider took late is never missed, even
when its webhook never reaches us."""
from datetime import timedelta

import pytest

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.jobs import reconcile
from checkout.models import Event, Payment
from checkout.payments import flow, service
from tests.factories import (
    checkout,
    events,
    magic_phone,
    make_checkout,
    payment,
    start_attempt,
    timeline,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.usefixtures("live_server")


def _due_now(payment_id):
    db.session.execute(db.update(Payment).where(Payment.id == payment_id)
                       .values(reconcile_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def _completed_at_provider(simulator, reference):
    return wait_until(lambda: simulator.transaction(reference)["status"] == "SUCCESSFUL",
                      timeout=15, what="the provider completed the transaction")


def test_an_attempt_abandoned_at_its_deadline_is_scheduled_for_reconciliation(merchant):
    _c, payment_id = start_attempt(merchant, "04")
    service.abandon_attempt(payment_id, source="poll", reason="deadline")
    db.session.commit()
    pay = payment(payment_id)
    assert pay.status == "expired"
    ahead = (pay.reconcile_at - utcnow()).total_seconds()
    assert service.RECONCILE_SCHEDULE[0] - 5 < ahead <= service.RECONCILE_SCHEDULE[0]


def test_a_late_success_after_expiry_becomes_paid_late_without_any_webhook(
        merchant, simulator):
    """07: FeexPay completes after our deadline and after the checkout expired. No worker
    runs, so its webhook is stored but never processed: only reconciliation sees it."""
    checkout_id, payment_id = start_attempt(merchant, "07", expires_in=1)
    service.abandon_attempt(payment_id, source="poll", reason="deadline")
    db.session.commit()
    wait_until(lambda: checkout(checkout_id).expires_at <= utcnow(), timeout=5)
    service.expire_checkout(checkout_id)
    db.session.commit()
    assert checkout(checkout_id).status == "expired"
    _completed_at_provider(simulator, payment(payment_id).provider_reference)
    _due_now(payment_id)
    assert reconcile.reconcile_one(payment_id) == "settled"
    pay, co = payment(payment_id), checkout(checkout_id)
    assert (pay.status, pay.paid_late, co.status, co.paid_late, co.payment_id) == \
        ("succeeded", True, "paid", True, payment_id)
    assert pay.reconcile_at is None
    [late] = timeline(checkout_id, "paid_late")
    assert late.source == "reconcile" and late.from_status == "expired"
    assert len(events(checkout_id, "checkout.paid")) == 1


def test_the_shopper_switched_method_and_the_first_push_paid_later_is_a_duplicate(
        merchant, simulator):
    """The shopper gave up on the MTN push and paid cash; MTN took the money anyway and
    its webhook never came: reconciliation finds it, flags it duplicate and tells the
    merchant (payment.duplicate) so that it can be refunded."""
    checkout_id, first = start_attempt(merchant, "07")
    service.abandon_attempt(first, source="shopper", reason="shopper_switched")
    db.session.commit()
    assert payment(first).status == "canceled" and payment(first).reconcile_at is not None
    cash = flow.start_payment(checkout_id, "cod")
    service.confirm_cash(cash.id)
    db.session.commit()
    assert checkout(checkout_id).status == "paid"
    _completed_at_provider(simulator, payment(first).provider_reference)
    _due_now(first)
    assert reconcile.reconcile_one(first) == "settled"
    pay, co = payment(first), checkout(checkout_id)
    assert (pay.status, pay.duplicate, co.payment_id) == ("succeeded", True, cash.id)
    dup = db.session.execute(db.select(Event).where(Event.type == "payment.duplicate")
                             ).scalars().all()
    assert len(dup) == 1 and first in str(dup[0].data)


def test_still_pending_is_asked_again_later_then_given_up(merchant, monkeypatch):
    monkeypatch.setattr(service, "RECONCILE_SCHEDULE", (1, 2, 3))
    checkout_id, payment_id = start_attempt(merchant, "04")          # never answers
    service.abandon_attempt(payment_id, source="poll", reason="deadline")
    db.session.commit()
    outcomes = []
    for _ in range(3):
        _due_now(payment_id)
        outcomes.append(reconcile.reconcile_one(payment_id))
    assert outcomes == ["waiting", "waiting", "gave_up"]
    assert payment(payment_id).reconcile_at is None
    assert payment(payment_id).status == "expired"
    assert len(timeline(checkout_id, "reconcile_gave_up")) == 1


def test_reconcile_due_claims_each_attempt_once(merchant, redis_conn):
    ids = []
    for _ in range(3):
        checkout_id = make_checkout(merchant)
        pay = flow.start_payment(checkout_id, "mtn_bj", magic_phone("04"))
        service.abandon_attempt(pay.id, source="poll", reason="deadline")
        db.session.commit()
        _due_now(pay.id)
        ids.append(pay.id)
    assert reconcile.reconcile_due() == 3
    assert reconcile.reconcile_due() == 0              # at most every 20 s, and none due
    redis_conn.delete("every:reconcile")
    assert reconcile.reconcile_due() == 0              # asked: next try minutes away
    assert all(payment(p).reconcile_attempts == 1 for p in ids)
