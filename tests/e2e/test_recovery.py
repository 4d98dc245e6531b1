"""Nothing is lost when Redis loses its jobs or a worker process is killed: the database
says what is due, the sweeper puts it back, the payment completes."""
import os
import signal
import subprocess
import sys
from datetime import timedelta

import psycopg
import requests
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


def test_a_worker_killed_mid_batch_of_polls_loses_nothing(live_server, merchant, redis_conn,
                                                          simulator):
    """Ten polls in flight in one worker process (the provider answers 3 s late; one of
    them also waits on a row lock) when it is killed with SIGKILL: after the lease, the
    restarted process polls them again and each payment is paid exactly once."""
    app = live_server.app
    app.config["PUSHES_PER_PHONE"] = 1000
    started = [start_attempt(merchant, "05") for _ in range(10)]   # settled only by polling
    checkout_id, payment_id = started[0]
    # Hold one checkout's row lock so that its poll blocks inside its transaction.
    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql")
    blocker = psycopg.connect(dsn)
    blocker.execute("SELECT id FROM checkouts WHERE id = %s FOR UPDATE", (checkout_id,))
    requests.put(f"{simulator.url}/_sim/latency", json={"latency_ms": 3000},
                 timeout=5).raise_for_status()
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--processes", "1",
         "--periodic-seconds", "1"], cwd=ROOT, env=_env(app) | {"POLL_LEASE_SECONDS": "6"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # All ten claimed by the child's poller (their lease set): their calls are out.
        def claimed():
            soon = utcnow() + timedelta(seconds=3)
            return all(payment(p).next_poll_at > soon for _c, p in started)

        wait_until(claimed, 40, interval=0.1, before=db.session.rollback, what="batch claimed")
        [victim] = wait_until(lambda: {w.pid for w in Worker.all(connection=redis_conn)},
                              20, what="the worker process registered")
        os.kill(victim, signal.SIGKILL)                   # mid-batch, the leases running
        assert all(payment(p).status == "pending" for _c, p in started)
        requests.put(f"{simulator.url}/_sim/latency", json={"latency_ms": 0}, timeout=5)
        blocker.rollback()
        db.session.rollback()
        wait_until(lambda: all(payment(p).status == "succeeded" for _c, p in started), 60,
                   interval=0.1, before=db.session.rollback,
                   what="payments completed after the restart")
        for c, _p in started:
            assert checkout(c).status == "paid"
            assert [e.source for e in timeline(c, "status_changed")] == ["poll"]
            assert len(events(c, "checkout.paid")) == 1
        # A new worker process took over (the supervisor restarted the killed one).
        pids = {w.pid for w in Worker.all(connection=redis_conn)}
        assert not pid_alive(victim)
        assert [p for p in pids if p != victim and pid_alive(p)]
    finally:
        requests.put(f"{simulator.url}/_sim/latency", json={"latency_ms": 0}, timeout=5)
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
