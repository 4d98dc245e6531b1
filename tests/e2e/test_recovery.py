"""Nothing is lost when Redis loses its jobs or a worker process is killed: the database
says what is due, the sweeper puts it back, the payment completes."""
import os
import signal
import subprocess
import sys

import psycopg
from rq import Worker
from rq.job import Job, JobStatus

from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.jobs import queue as job_queue
from checkout.jobs.queue import pid_alive
from tests.factories import checkout, events, payment, start_attempt, timeline
from tests.waiting import wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_polls_come_back_after_redis_is_flushed(live_server, merchant, worker, redis_conn,
                                                monkeypatch):
    monkeypatch.setitem(live_server.app.config, "SWEEP_GRACE_SECONDS", 0)
    started = [start_attempt(merchant, "05") for _ in range(3)]   # settled only by polling
    redis_conn.flushdb()                                           # every scheduled poll gone
    for checkout_id, payment_id in started:
        worker.run_jobs_until(lambda pid=payment_id: payment(pid).status == "succeeded",
                              timeout=20, what="payment polled after the flush")
        assert checkout(checkout_id).status == "paid"
        assert [e.source for e in timeline(checkout_id, "status_changed")] == ["poll"]
        assert len(events(checkout_id, "checkout.paid")) == 1


def _env(app):
    env = dict(os.environ)
    env.update(CHECKOUT_ENV="test", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=app.config["REDIS_URL"], SECRET_KEY="test-secret",
               SIMULATOR_URL=app.config["SIMULATOR_URL"],
               CHECKOUT_PUBLIC_URL=app.config["CHECKOUT_PUBLIC_URL"],
               SWEEP_GRACE_SECONDS="0", LOG_LEVEL="WARNING")
    return env


def test_a_worker_killed_mid_job_loses_nothing(live_server, merchant, redis_conn):
    app = live_server.app
    checkout_id, payment_id = start_attempt(merchant, "05")           # settled only by polling
    poll_id = job_queue.poll_job_id(payment_id)
    # Hold the checkout's row lock so that the first poll blocks inside its transaction.
    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql")
    blocker = psycopg.connect(dsn)
    blocker.execute("SELECT id FROM checkouts WHERE id = %s FOR UPDATE", (checkout_id,))
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--processes", "1",
         "--periodic-seconds", "1"], cwd=ROOT, env=_env(app),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        job = wait_until(lambda: (j := _job(redis_conn, poll_id)) and
                         j.get_status() == JobStatus.STARTED and j, 40, interval=0.1,
                         what="poll started")
        victim = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name,
                                    connection=redis_conn)
        os.kill(victim.pid, signal.SIGKILL)                   # mid-job, holding nothing
        blocker.rollback()
        db.session.rollback()
        wait_until(lambda: payment(payment_id).status == "succeeded", 60, interval=0.1,
                   before=db.session.rollback, what="payment completed after the restart")
        assert checkout(checkout_id).status == "paid"
        assert [e.source for e in timeline(checkout_id, "status_changed")] == ["poll"]
        assert len(events(checkout_id, "checkout.paid")) == 1
        # A new worker process took over (the supervisor restarted the killed one).
        pids = {w.pid for w in Worker.all(connection=redis_conn)}
        assert not pid_alive(victim.pid)
        assert [p for p in pids if p != victim.pid and pid_alive(p)]
    finally:
        blocker.close()
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(30)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            raise
    assert supervisor.returncode == 0


def _job(conn, job_id):
    try:
        return Job.fetch(job_id, connection=conn)
    except Exception:  # noqa: BLE001 - not there (yet)
        return None


def test_the_deadline_is_kept_when_polls_were_lost(live_server, merchant, worker,
                                                   redis_conn, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "SWEEP_GRACE_SECONDS", 0)
    monkeypatch.setattr(FeexPay, "deadline_seconds", 1)
    checkout_id, payment_id = start_attempt(merchant, "04")
    redis_conn.flushdb()
    worker.run_jobs_until(lambda: payment(payment_id).status == "expired", timeout=15)
    assert payment(payment_id).failure_code == "deadline"
    assert checkout(checkout_id).status == "open"
