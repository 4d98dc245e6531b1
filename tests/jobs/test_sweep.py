"""The sweeper: what the database says is due comes back to the queue once (lost polls,
unprocessed notifications), and one failing sweeper does not stop the others."""
from datetime import timedelta

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.jobs import queue as job_queue
from checkout.jobs import sweep as sweeper
from checkout.jobs.queue import get_queue
from checkout.models import GatewayAccount, GatewayNotification
from tests.factories import add_payment, make_checkout


def _pending_payment(merchant, next_poll_in=-120, deadline_in=600, reference="ref-1"):
    """A pending attempt whose next poll is due ``next_poll_in`` seconds from now."""
    now = utcnow()
    return add_payment(make_checkout(merchant), provider_reference=reference,
                       next_poll_at=now + timedelta(seconds=next_poll_in),
                       deadline_at=now + timedelta(seconds=deadline_in))


def test_sweep_brings_back_lost_polls_once(app, merchant, redis_conn):
    lost = _pending_payment(merchant)
    not_due = _pending_payment(merchant, next_poll_in=60)
    report = sweeper.sweep()
    assert report["polls"] == 1
    assert get_queue().job_ids == [job_queue.poll_job_id(lost)]
    assert sweeper.sweep()["polls"] == 0                     # already queued: not twice
    assert job_queue.poll_job_id(not_due) not in get_queue().job_ids


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
