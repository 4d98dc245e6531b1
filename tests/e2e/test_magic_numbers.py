"""Every FeexPay magic number end to end: the real adapter over real HTTP to the real
simulator, the simulator's webhooks to the live app, the real worker polling."""
import pytest

from checkout.gateways.feexpay.adapter import FeexPay
from tests.factories import checkout, events, notifications, payment, start_attempt, timeline

pytestmark = pytest.mark.usefixtures("live_server")


@pytest.fixture
def fast_polls(monkeypatch):
    monkeypatch.setattr(FeexPay, "poll_schedule", (1,))


@pytest.fixture
def slow_polls(monkeypatch):
    """The first poll far away: what happens is the webhook's doing, however slow the box."""
    monkeypatch.setattr(FeexPay, "poll_schedule", (30,))


def _settled(payment_id):
    return lambda: payment(payment_id).status != "pending" and payment(payment_id)


def test_01_paid_via_webhook(merchant, worker, slow_polls):
    checkout_id, payment_id = start_attempt(merchant, "01")
    worker.run_jobs_until(_settled(payment_id), timeout=10)
    pay, co = payment(payment_id), checkout(checkout_id)
    assert (pay.status, co.status, co.payment_id) == ("succeeded", "paid", payment_id)
    changed = timeline(checkout_id, "status_changed")
    assert [(e.source, e.to_status) for e in changed] == [("webhook", "succeeded")]
    assert len(events(checkout_id, "checkout.paid")) == 1
    [note] = notifications()
    assert note.outcome == "applied" and note.processed_at is not None


def test_02_insufficient_funds_fails_and_reopens_the_checkout(merchant, worker):
    checkout_id, payment_id = start_attempt(merchant, "02")
    worker.run_jobs_until(_settled(payment_id), timeout=10)
    pay, co = payment(payment_id), checkout(checkout_id)
    assert (pay.status, pay.failure_code) == ("failed", "insufficient_funds")
    assert co.status == "open" and co.payment_id is None
    assert len(events(checkout_id, "payment.failed")) == 1
    assert events(checkout_id, "checkout.paid") == []


def test_03_shopper_cancels_is_a_failure(merchant, worker):
    checkout_id, payment_id = start_attempt(merchant, "03")
    worker.run_jobs_until(_settled(payment_id), timeout=10)
    pay = payment(payment_id)
    assert (pay.status, pay.failure_code) == ("failed", "declined")
    assert checkout(checkout_id).status == "open"
    assert len(timeline(checkout_id, "status_changed")) == 1


def test_04_never_answers_expires_at_the_deadline(merchant, worker, fast_polls, monkeypatch):
    monkeypatch.setattr(FeexPay, "deadline_seconds", 2)
    checkout_id, payment_id = start_attempt(merchant, "04")
    worker.run_jobs_until(_settled(payment_id), timeout=10)
    pay = payment(payment_id)
    assert (pay.status, pay.failure_code) == ("expired", "deadline")
    assert pay.poll_attempts >= 1 and pay.next_poll_at is None
    assert checkout(checkout_id).status == "open"   # the shopper may try another way
    [abandoned] = timeline(checkout_id, "attempt_abandoned")
    assert abandoned.source == "poll" and abandoned.data == {"reason": "deadline"}


def test_05_paid_by_polling_alone(merchant, worker, fast_polls):
    checkout_id, payment_id = start_attempt(merchant, "05")
    worker.run_jobs_until(_settled(payment_id), timeout=10)
    assert payment(payment_id).status == "succeeded"
    assert checkout(checkout_id).status == "paid"
    assert [e.source for e in timeline(checkout_id, "status_changed")] == ["poll"]
    assert notifications() == []
    assert len(events(checkout_id, "checkout.paid")) == 1


def test_06_outage_at_initiation_fails_with_nothing_debited(merchant, simulator):
    checkout_id, payment_id = start_attempt(merchant, "06")
    pay = payment(payment_id)
    assert pay.status == "failed" and pay.provider_reference is None
    assert pay.failure_code == "gateway_unavailable" or pay.failure_code
    assert checkout(checkout_id).status == "open"
    assert simulator.transactions() == []        # the provider holds nothing
    assert pay.next_poll_at is None


def test_07_success_after_the_checkout_expired_is_paid_late(merchant, worker, fast_polls,
                                                            monkeypatch):
    # The attempt gives up at 2 s, the checkout expires, FeexPay succeeds at 4 s.
    monkeypatch.setattr(FeexPay, "deadline_seconds", 2)
    checkout_id, payment_id = start_attempt(merchant, "07", expires_in=1)
    worker.run_jobs_until(lambda: checkout(checkout_id).status == "expired", timeout=10,
                          what="checkout expired")
    assert payment(payment_id).status == "expired"
    worker.run_jobs_until(lambda: checkout(checkout_id).status == "paid", timeout=10,
                          what="late success applied")
    pay, co = payment(payment_id), checkout(checkout_id)
    assert (pay.status, pay.paid_late, co.paid_late, co.payment_id) == \
        ("succeeded", True, True, payment_id)
    [late] = timeline(checkout_id, "paid_late")
    assert late.source == "webhook" and late.from_status == "expired"
    assert len(events(checkout_id, "checkout.expired")) == 1
    assert len(events(checkout_id, "checkout.paid")) == 1


def test_08_three_webhooks_one_transition(merchant, worker, slow_polls):
    checkout_id, payment_id = start_attempt(merchant, "08")
    worker.run_jobs_until(_settled(payment_id), timeout=10)
    worker.run_jobs_until(lambda: all(n.processed_at for n in notifications()), timeout=10,
                          what="every notification processed")
    assert payment(payment_id).status == "succeeded"
    assert len(timeline(checkout_id, "status_changed")) == 1
    assert len(events(checkout_id, "checkout.paid")) == 1
    [note] = notifications()             # one provider event: reference + status
    assert note.duplicates == 2
    # The early one (sent while FeexPay still said pending) changed nothing; a repeat
    # was looked at again and applied the success.
    assert [e.source for e in timeline(checkout_id, "status_changed")] == ["webhook"]
