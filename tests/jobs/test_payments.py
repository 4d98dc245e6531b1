"""The payment jobs: checkouts expire on time, a poll of a payment that is no longer
pending does nothing, a pending poll reschedules itself under its one job id."""
from datetime import timedelta

import pytest
from rq.job import Job, JobStatus

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.jobs import payments as jobs
from checkout.jobs import queue as job_queue
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


def test_poll_payment_without_a_pending_payment_does_nothing(app, merchant):
    pay_id = add_payment(make_checkout(merchant),
                         next_poll_at=utcnow() - timedelta(seconds=120))
    db.session.get(Payment, pay_id).status = "failed"
    db.session.commit()
    assert jobs.poll_payment(pay_id) is None
    assert jobs.poll_payment("pay_missing") is None


@pytest.mark.usefixtures("live_server")
def test_a_pending_poll_reschedules_itself_under_one_id(merchant, worker, monkeypatch):
    monkeypatch.setattr(FeexPay, "poll_schedule", (1, 2))
    _c, payment_id = start_attempt(merchant, "04")
    pay = worker.run_jobs_until(
        lambda: (p := db.session.get(Payment, payment_id)).poll_attempts >= 2 and p)
    assert pay.status == "pending" and pay.next_poll_at > utcnow() - timedelta(seconds=1)
    conn = worker.connection
    job = Job.fetch(job_queue.poll_job_id(payment_id), connection=conn)
    assert job.get_status() in (JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.STARTED)
    polls = [k for k in conn.scan_iter("rq:job:poll-*")]
    assert polls == [f"rq:job:{job_queue.poll_job_id(payment_id)}".encode()]
