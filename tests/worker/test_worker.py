"""The worker: jobs in-process inside an app context, failures and hangs contained,
one database session per job, unique job ids, and the periodic jobs."""
import socket
import time
from datetime import timedelta

import pytest
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from checkout.jobs import payments as jobs
from checkout.jobs import queue as job_queue
from checkout.jobs import sweep as sweeper
from checkout.extensions import db
from checkout.core.ids import new_id
from checkout.models import Checkout, GatewayAccount, GatewayNotification, Merchant, Payment
from checkout.core.timeutil import utcnow
from checkout.jobs.queue import ensure_job, get_queue

from . import tasks


def _until(predicate, timeout=5):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def _ran(redis_conn):
    return [v.decode() for v in redis_conn.lrange("test:ran", 0, -1)]


def test_jobs_run_in_an_app_context(app, worker, redis_conn):
    get_queue().enqueue(tasks.record, 1)
    assert _until(lambda: _ran(redis_conn)) == ["checkout:1"]


def test_a_crashing_job_does_not_stop_the_worker(app, worker, redis_conn):
    queue = get_queue()
    crashed = queue.enqueue(tasks.crash)
    queue.enqueue(tasks.record, "after")
    assert _until(lambda: _ran(redis_conn)) == ["checkout:after"]
    assert crashed.id in FailedJobRegistry(queue=queue).get_job_ids()


def worker_env(app):
    """The environment of a worker process on this test's database and Redis."""
    import os
    env = dict(os.environ)
    env.update(CHECKOUT_ENV="test", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=app.config["REDIS_URL"], SECRET_KEY="test-secret",
               SIMULATOR_URL=app.config["SIMULATOR_URL"],
               CHECKOUT_PUBLIC_URL=app.config["CHECKOUT_PUBLIC_URL"], LOG_LEVEL="WARNING")
    return env


def test_a_hung_job_is_cut_by_its_timeout_in_a_worker_process(app, redis_conn):
    import subprocess
    import sys
    queue = get_queue()
    hung = queue.enqueue(tasks.sleep, 60, job_timeout=1)
    queue.enqueue(tasks.record, "next")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "flask", "--app", "checkout.app", "worker-process",
                    "--burst"], env=worker_env(app),
                   timeout=30, check=True, capture_output=True)
    assert time.monotonic() - started < 20
    assert _ran(redis_conn) == ["checkout:next"]
    hung.refresh()
    assert hung.get_status() == JobStatus.FAILED
    assert "JobTimeoutException" in hung.latest_result().exc_string


def test_each_job_gets_a_fresh_session(app, worker, redis_conn):
    queue = get_queue()
    queue.enqueue(tasks.leave_transaction_open, "mer_leftbehind")
    queue.enqueue(tasks.session_is_clean)
    assert _until(lambda: redis_conn.lrange("test:clean", 0, -1)) == [b"True"]
    db.session.rollback()
    assert db.session.execute(db.select(Merchant).where(
        Merchant.public_id == "mer_leftbehind")).first() is None


def test_ensure_job_keeps_one_job_per_id(app, redis_conn):
    assert ensure_job(tasks.record, 1, job_id="one") is True
    assert ensure_job(tasks.record, 2, job_id="one") is False
    assert get_queue().job_ids == ["one"]


def test_ensure_job_replaces_a_failed_job(app, redis_conn, run_jobs_until):
    ensure_job(tasks.crash, job_id="flaky")
    run_jobs_until(lambda: Job.fetch("flaky", connection=redis_conn).get_status()
                   == JobStatus.FAILED)
    assert ensure_job(tasks.record, "again", job_id="flaky") is True
    run_jobs_until(lambda: _ran(redis_conn) == ["checkout:again"])


def test_ensure_job_replaces_a_job_whose_worker_died(app, redis_conn):
    ensure_job(tasks.record, 1, job_id="orphan")
    job = Job.fetch("orphan", connection=redis_conn)
    redis_conn.lrem(get_queue().key, 0, "orphan")           # a worker took it...
    job.set_status(JobStatus.STARTED)
    job.worker_name = "dead-worker"
    job.started_at = utcnow()
    job.save()
    redis_conn.hset("rq:worker:dead-worker", mapping={       # ...then was SIGKILLed
        "pid": 2 ** 22 + 7, "hostname": socket.gethostname(), "queues": "default",
        "birth": "2026-01-01T00:00:00.000000Z", "last_heartbeat": "2026-01-01T00:00:00.000000Z"})
    assert ensure_job(tasks.record, 2, job_id="orphan") is True
    assert get_queue().job_ids == ["orphan"]


def test_ensure_job_leaves_a_live_started_job(app, redis_conn):
    ensure_job(tasks.record, 1, job_id="busy")
    job = Job.fetch("busy", connection=redis_conn)
    redis_conn.lrem(get_queue().key, 0, "busy")
    job.set_status(JobStatus.STARTED)
    job.started_at = utcnow()
    job.save()                      # no worker name: only its timeout can call it dead
    assert ensure_job(tasks.record, 2, job_id="busy") is False


def test_an_overdue_scheduled_job_is_handed_to_its_queue(app, redis_conn):
    queue = get_queue()
    ensure_job(tasks.record, 1, job_id="late", delay=60)
    registry = ScheduledJobRegistry(queue=queue)
    redis_conn.zadd(registry.key, {"late": time.time() - 120})   # no scheduler ran
    assert ensure_job(tasks.record, 1, job_id="late") is False
    assert queue.job_ids == ["late"] and "late" not in registry.get_job_ids()


def _checkout(merchant, status="open", expires_in=3600):
    row = Checkout(id=new_id("cs"), merchant_id=merchant.id, livemode=False,
                   order_id=new_id("o", 8), amount=5000, currency="XOF", status=status,
                   expires_at=utcnow() + timedelta(seconds=expires_in))
    db.session.add(row)
    db.session.commit()
    return row.id


def test_expire_checkouts_expires_only_open_ones_past_their_time(app, merchant):
    stale = [_checkout(merchant, expires_in=-5) for _ in range(25)]
    busy = _checkout(merchant, status="processing", expires_in=-5)
    fresh = _checkout(merchant)
    assert jobs.expire_checkouts() == 25
    statuses = dict(db.session.execute(db.select(Checkout.id, Checkout.status)).all())
    assert {statuses[c] for c in stale} == {"expired"}
    assert (statuses[busy], statuses[fresh]) == ("processing", "open")
    assert jobs.expire_checkouts() == 0


def _pending_payment(merchant, next_poll_in=-120, deadline_in=600, reference="ref-1"):
    account_id = db.session.execute(db.select(GatewayAccount.id).where(
        GatewayAccount.merchant_id == merchant.id,
        GatewayAccount.gateway == "feexpay")).scalar_one()
    now = utcnow()
    pay = Payment(id=new_id("pay"), checkout_id=_checkout(merchant, status="processing"),
                  merchant_id=merchant.id, livemode=False, gateway="feexpay",
                  gateway_account_id=account_id, method="mtn_bj", amount=5000,
                  currency="XOF", status="pending", provider_reference=reference,
                  next_poll_at=now + timedelta(seconds=next_poll_in),
                  deadline_at=now + timedelta(seconds=deadline_in))
    db.session.add(pay)
    db.session.commit()
    return pay.id


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


def test_poll_payment_without_a_pending_payment_does_nothing(app, merchant):
    pay_id = _pending_payment(merchant)
    db.session.get(Payment, pay_id).status = "failed"
    db.session.commit()
    assert jobs.poll_payment(pay_id) is None
    assert jobs.poll_payment("pay_missing") is None


@pytest.mark.usefixtures("live_server")
def test_a_pending_poll_reschedules_itself_under_one_id(merchant, worker, monkeypatch):
    from checkout.gateways.feexpay.adapter import FeexPay
    from tests.integration.support import start
    monkeypatch.setattr(FeexPay, "poll_schedule", (1, 2))
    _c, payment_id = start(merchant, "04")
    pay = worker.run_jobs_until(
        lambda: (p := db.session.get(Payment, payment_id)).poll_attempts >= 2 and p)
    assert pay.status == "pending" and pay.next_poll_at > utcnow() - timedelta(seconds=1)
    conn = worker.connection
    job = Job.fetch(job_queue.poll_job_id(payment_id), connection=conn)
    assert job.get_status() in (JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.STARTED)
    polls = [k for k in conn.scan_iter("rq:job:poll-*")]
    assert polls == [f"rq:job:{job_queue.poll_job_id(payment_id)}".encode()]
