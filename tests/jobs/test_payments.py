"""The payment jobs: checkouts expire on time; polls are claimed from the database once
each, a poll of a payment that is no longer pending does nothing, a pending one plans its
next poll (later after a provider error, put off under the account's call rate)."""
import threading
import time
from datetime import timedelta

import psycopg
import pytest

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways.errors import GatewayUnavailable
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.jobs import payments as jobs
from checkout.jobs import polling
from checkout.models import Checkout, Payment
from tests.factories import add_payment, make_checkout, start_attempt


def test_expire_checkouts_expires_only_open_ones_past_their_time(app, merchant):
    stale = [make_checkout(merchant, expires_in=-5) for _ in range(25)]
    busy = make_checkout(merchant, status="processing", expires_in=-5)
    fresh = make_checkout(merchant)
    assert jobs.expire_checkouts() == 25
    statuses = dict(db.session.execute(db.select(Checkout.id, Checkout.status)).all())
    assert {statuses[c] for c in stale} == {"expired"}
    assert (statuses[busy], statuses[fresh]) == ("processing", "open")
    assert jobs.expire_checkouts() == 0


def test_poll_once_without_a_pending_payment_does_nothing(app, merchant):
    pay_id = add_payment(make_checkout(merchant),
                         next_poll_at=utcnow() - timedelta(seconds=120))
    db.session.get(Payment, pay_id).status = "failed"
    db.session.commit()
    assert polling.poll_once(pay_id) is None
    assert polling.poll_once("pay_missing") is None
    assert db.session.get(Payment, pay_id).poll_attempts == 0


def _due(merchant, seconds_ago=5, **fields):
    return add_payment(make_checkout(merchant),
                       next_poll_at=utcnow() - timedelta(seconds=seconds_ago), **fields)


def test_claim_due_takes_what_is_due_once_and_leases_it(app, merchant):
    due = {_due(merchant, seconds_ago=s) for s in (30, 20, 10)}
    later = add_payment(make_checkout(merchant), next_poll_at=utcnow() + timedelta(minutes=1))
    claimed = polling.claim_due(10, lease_seconds=60)
    assert set(claimed) == due
    assert polling.claim_due(10, lease_seconds=60) == []        # leased: nobody takes them
    for pay_id in due:
        assert db.session.get(Payment, pay_id).next_poll_at > utcnow() + timedelta(seconds=50)
    assert later not in claimed


def test_claim_due_takes_the_oldest_first_and_no_more_than_asked(app, merchant):
    oldest, middle, newest = (_due(merchant, seconds_ago=s) for s in (30, 20, 10))
    assert sorted(polling.claim_due(2, lease_seconds=60)) == sorted([oldest, middle])
    assert polling.claim_due(2, lease_seconds=60) == [newest]


def test_concurrent_claimers_never_take_one_attempt_twice(app, merchant):
    """Eight pollers claim at once (own connections, PostgreSQL row locks): every due
    attempt is claimed exactly once."""
    due = {_due(merchant) for _ in range(40)}
    claims, barrier = [], threading.Barrier(8)

    def claimer():
        with app.app_context():
            barrier.wait()
            for _ in range(10):
                claims.extend(polling.claim_due(3, lease_seconds=60))
            db.session.remove()

    threads = [threading.Thread(target=claimer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(claims) == sorted(due)


def test_a_row_another_poller_holds_is_skipped_not_waited_for(app, merchant):
    held, free = _due(merchant, seconds_ago=30), _due(merchant, seconds_ago=10)
    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as other:
        other.execute("SELECT id FROM payments WHERE id = %s FOR UPDATE", (held,))
        started = time.monotonic()
        assert polling.claim_due(10, lease_seconds=60) == [free]
        assert time.monotonic() - started < 2
    assert polling.claim_due(10, lease_seconds=60) == [held]


@pytest.mark.usefixtures("live_server")
def test_a_pending_poll_plans_its_next_poll(merchant, monkeypatch):
    monkeypatch.setattr(FeexPay, "poll_schedule", (1, 2))
    _c, payment_id = start_attempt(merchant, "04")            # stays pending
    polling.poll_once(payment_id)
    pay = db.session.get(Payment, payment_id)
    assert pay.status == "pending" and pay.poll_attempts == 1
    ahead = (pay.next_poll_at - utcnow()).total_seconds()
    assert 2 * 0.85 < ahead <= 2 * 1.1                        # schedule[1] with its jitter


@pytest.mark.usefixtures("live_server")
def test_a_failed_status_call_backs_off(merchant, monkeypatch):
    monkeypatch.setattr(FeexPay, "poll_schedule", (1, 2))
    _c, payment_id = start_attempt(merchant, "04")

    def down(self, *args):
        raise GatewayUnavailable("502 from the provider")

    monkeypatch.setattr(FeexPay, "fetch_status", down)
    polling.poll_once(payment_id)
    pay = db.session.get(Payment, payment_id)
    assert pay.status == "pending" and pay.poll_attempts == 1
    ahead = (pay.next_poll_at - utcnow()).total_seconds()
    assert polling.ERROR_BACKOFF_MIN * 0.85 < ahead <= polling.ERROR_BACKOFF_MIN * 1.1


@pytest.mark.usefixtures("live_server")
def test_the_account_call_rate_puts_polls_off_without_calling(merchant, monkeypatch):
    monkeypatch.setattr(FeexPay, "status_calls_per_second", 1.0)
    calls = []
    real = FeexPay.fetch_status
    monkeypatch.setattr(FeexPay, "fetch_status",
                        lambda self, *a: calls.append(1) or real(self, *a))
    ids = [start_attempt(merchant, "04")[1] for _ in range(3)]
    for pay_id in ids:
        polling.poll_once(pay_id)
    assert len(calls) == 1                                    # a bucket of one per second
    put_off = [db.session.get(Payment, p) for p in ids[1:]]
    assert all(p.poll_attempts == 0 for p in put_off)         # not counted as polls
    assert all((p.next_poll_at - utcnow()).total_seconds() <= 2.1 for p in put_off)
