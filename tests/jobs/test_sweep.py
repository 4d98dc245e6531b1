"""The sweeper: what the database says is due comes back once (attempts that lost their
poll plan, unprocessed notifications), and one failing sweeper does not stop the others."""
from datetime import timedelta

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.jobs import queue as job_queue
from checkout.jobs import sweep as sweeper
from checkout.jobs.queue import get_queue
from checkout.models import GatewayAccount, GatewayNotification, Payment
from tests.factories import add_payment, make_checkout


def _pending_payment(merchant, next_poll_in=-120, deadline_in=600, reference="ref-1"):
    """A pending attempt whose next poll is due ``next_poll_in`` seconds from now."""
    now = utcnow()
    return add_payment(make_checkout(merchant), provider_reference=reference,
                       next_poll_at=now + timedelta(seconds=next_poll_in),
                       deadline_at=now + timedelta(seconds=deadline_in))


def test_sweep_plans_a_poll_for_an_attempt_that_lost_its_plan(app, merchant):
    """Polls need no repair (the pollers read ``next_poll_at``), except an attempt with no
    poll planned whose deadline passed (its initiate call's outcome was unknown)."""
    lost = _pending_payment(merchant, deadline_in=-5)
    db.session.get(Payment, lost).next_poll_at = None
    planned = _pending_payment(merchant, next_poll_in=60)
    db.session.commit()
    assert sweeper.sweep()["polls"] == 1
    assert db.session.get(Payment, lost).next_poll_at <= utcnow()
    assert sweeper.sweep()["polls"] == 0                     # planned now: not twice
    assert db.session.get(Payment, planned).next_poll_at > utcnow()


def test_sweep_brings_back_unprocessed_notifications(app, merchant, redis_conn):
    account_id = db.session.execute(db.select(GatewayAccount.id).where(
        GatewayAccount.merchant_id == merchant.id,
        GatewayAccount.gateway == "feexpay")).scalar_one()
    old = GatewayNotification(gateway="feexpay", gateway_account_id=account_id,
                              dedup_key="a", headers={}, body=b"{}",
                              received_at=utcnow() - timedelta(minutes=2))
    new = GatewayNotification(gateway="feexpay", gateway_account_id=account_id,
                              dedup_key="b", headers={}, body=b"{}", received_at=utcnow())
    db.session.add_all([old, new])
    db.session.commit()
    assert sweeper.sweep()["notifications"] == 1
    assert get_queue().job_ids == [job_queue.notification_job_id(old.id)]


def test_registered_sweepers_run_and_one_failing_does_not_stop_the_rest(app, monkeypatch):
    calls = []
    monkeypatch.setitem(app.extensions, "checkout.sweepers", [])

    def broken():
        raise RuntimeError("boom")

    def counting():
        calls.append(1)
        return 3

    sweeper.add_sweeper(app, broken)
    sweeper.add_sweeper(app, counting)
    sweeper.add_sweeper(app, counting)          # registering twice keeps one
    report = sweeper.sweep()
    assert calls == [1]
    assert report[broken.__qualname__] == "error" and report[counting.__qualname__] == 3
