"""Nothing is lost when Redis loses its jobs or a worker process is killed: the database
says what is due, the sweeper puts it back, the payment completes."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
from rq import Worker

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
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


def test_a_worker_killed_mid_poll_loses_nothing(live_server, merchant, redis_conn):
    app = live_server.app
    checkout_id, payment_id = start_attempt(merchant, "05")           # settled only by polling
    # Hold the checkout's row lock so that the first poll blocks inside its transaction.
    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql")
    blocker = psycopg.connect(dsn)
    blocker.execute("SELECT id FROM checkouts WHERE id = %s FOR UPDATE", (checkout_id,))
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--processes", "1",
         "--periodic-seconds", "1"], cwd=ROOT, env=_env(app) | {"POLL_LEASE_SECONDS": "4"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Claimed by the child's poller (its lease set), and blocked on the row lock.
        wait_until(lambda: payment(payment_id).next_poll_at > utcnow() + timedelta(seconds=2),
                   40, interval=0.1, before=db.session.rollback, what="poll claimed")
        time.sleep(0.5)                                   # the status call answered by now
        [victim] = wait_until(lambda: {w.pid for w in Worker.all(connection=redis_conn)},
                              20, what="the worker process registered")
        os.kill(victim, signal.SIGKILL)                   # mid-poll, its lease still running
        blocker.rollback()
        db.session.rollback()
        wait_until(lambda: payment(payment_id).status == "succeeded", 60, interval=0.1,
                   before=db.session.rollback, what="payment completed after the restart")
        assert checkout(checkout_id).status == "paid"
        assert [e.source for e in timeline(checkout_id, "status_changed")] == ["poll"]
        assert len(events(checkout_id, "checkout.paid")) == 1
        # A new worker process took over (the supervisor restarted the killed one).
        pids = {w.pid for w in Worker.all(connection=redis_conn)}
        assert not pid_alive(victim)
        assert [p for p in pids if p != victim and pid_alive(p)]
    finally:
        blocker.close()
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(30)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            raise
    assert supervisor.returncode == 0


def test_the_deadline_is_kept_when_polls_were_lost(live_server, merchant, worker,
                                                   redis_conn, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "SWEEP_GRACE_SECONDS", 0)
    monkeypatch.setattr(FeexPay, "deadline_seconds", 1)
    checkout_id, payment_id = start_attempt(merchant, "04")
    redis_conn.flushdb()
    worker.run_jobs_until(lambda: payment(payment_id).status == "expired", timeout=15)
    assert payment(payment_id).failure_code == "deadline"
    assert checkout(checkout_id).status == "open"
