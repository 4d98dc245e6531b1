"""Faults at provider scale, with the real servers: a provider down for a while (backed
off, then polled again without a storm), PostgreSQL restarted and Redis restarted (so
flushed) while payments are polled and webhooks delivered by a real worker supervisor:
nothing lost, no final transition twice, the workers reconnect on their own."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import requests
from sqlalchemy.exc import DBAPIError

from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.jobs import polling
from checkout.webhooks_out.endpoints import create_endpoint
from tests.factories import checkout, events, payment, start_attempt, timeline
from tests.waiting import wait_until

from .shopper import WebhookReceiver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def _pg_version():
    """The machine's PostgreSQL cluster (Debian's layout, as on every machine this suite
    runs on); its absence fails the test that restarts it, never skips it."""
    assert os.path.isdir("/etc/postgresql"), "no PostgreSQL cluster in /etc/postgresql"
    return sorted(os.listdir("/etc/postgresql"))[-1]


def _start_payments(app, merchant, count, magic="05"):
    app.config["PUSHES_PER_PHONE"] = 10_000
    return [start_attempt(merchant, magic) for _ in range(count)]


def test_a_provider_down_for_a_while_is_backed_off_then_polled_without_a_storm(
        app, live_server, merchant, simulator, worker, monkeypatch):
    monkeypatch.setattr(FeexPay, "poll_schedule", (1,))
    monkeypatch.setattr(polling, "ERROR_BACKOFF_MIN", 4)
    monkeypatch.setattr(polling, "ERROR_BACKOFF_MAX", 8)
    calls = []
    real = FeexPay.fetch_status

    def counted(self, *args):
        try:
            result = real(self, *args)
        except Exception:
            calls.append((time.monotonic(), False))
            raise
        calls.append((time.monotonic(), True))
        return result

    monkeypatch.setattr(FeexPay, "fetch_status", counted)
    started = _start_payments(app, merchant, 20)          # pushes out, then FeexPay goes down
    requests.put(f"{simulator.url}/_sim/outage", json={"seconds": 6, "providers": ["feexpay"]},
                 timeout=5).raise_for_status()
    outage_ends = time.monotonic() + 6
    for _c, payment_id in started:
        worker.run_jobs_until(lambda pid=payment_id: payment(pid).status == "succeeded",
                              timeout=40, what="paid once the provider is back")
    failed = [t for t, ok in calls if not ok]
    after = [t for t, ok in calls if t >= outage_ends]
    # Down: with 1 s polls each attempt would be asked ~6 times; backed off, at most twice.
    assert failed and len(failed) <= 2 * len(started)
    # Back: each attempt is asked about once or so (they all succeeded meanwhile), not in
    # a burst of retries; never more calls in one second than attempts there are.
    assert len(after) <= len(started) + 5
    per_second = Counter(int(t) for t in after)
    assert max(per_second.values()) <= len(started)
    for checkout_id, _p in started:
        assert len(timeline(checkout_id, "status_changed")) == 1
        assert len(events(checkout_id, "checkout.paid")) == 1


def _supervisor(app, **env):
    environ = dict(os.environ, CHECKOUT_ENV="test",
                   DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                   REDIS_URL=app.config["REDIS_URL"], SECRET_KEY="test-secret",
                   SIMULATOR_URL=app.config["SIMULATOR_URL"],
                   CHECKOUT_PUBLIC_URL=app.config["CHECKOUT_PUBLIC_URL"],
                   SWEEP_GRACE_SECONDS="0", LOG_LEVEL="WARNING", POLL_LEASE_SECONDS="5",
                   **env)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--processes", "1",
         "--periodic-seconds", "1"], cwd=ROOT, env=environ,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(40)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _reads(predicate):
    """A wait condition that survives the database going away under the test itself."""
    def check():
        try:
            return predicate()
        except DBAPIError:
            db.session.rollback()
            return False
    return check


def _all_settled_once(started, receiver):
    for checkout_id, payment_id in started:
        assert payment(payment_id).status == "succeeded"
        assert checkout(checkout_id).status == "paid"
        assert len(timeline(checkout_id, "status_changed")) == 1     # no transition twice
        assert len(events(checkout_id, "checkout.paid")) == 1
    paid = {body["data"]["id"] for body in receiver.of_type("checkout.paid")}
    assert paid == {checkout_id for checkout_id, _p in started}


def _endpoint(merchant, receiver):
    create_endpoint(merchant.id, False, receiver.url)
    db.session.commit()


def test_postgresql_restarted_while_payments_are_polled_and_webhooks_delivered(
        app, live_server, merchant):
    with WebhookReceiver() as receiver:
        _endpoint(merchant, receiver)
        supervisor = _supervisor(app)
        try:
            first = _start_payments(app, merchant, 5)
            wait_until(lambda: len(receiver.of_type("checkout.paid")) >= 1, timeout=30,
                       what="work under way")
            later = _start_payments(app, merchant, 5)
            db.session.remove()
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main",
                            "restart"], check=True, timeout=60)
            db.engine.dispose()
            started = first + later
            wait_until(_reads(lambda: all(payment(p).status == "succeeded"
                                          for _c, p in started)),
                       timeout=90, before=db.session.rollback, what="all paid after restart")
            wait_until(lambda: len({b["data"]["id"]
                                    for b in receiver.of_type("checkout.paid")}) == 10,
                       timeout=60, what="every webhook delivered")
            _all_settled_once(started, receiver)
        finally:
            _stop(supervisor)


def test_redis_restarted_and_so_flushed_while_payments_are_polled_and_webhooks_delivered(
        app, live_server, merchant):
    with WebhookReceiver() as receiver:
        _endpoint(merchant, receiver)
        supervisor = _supervisor(app)
        try:
            started = _start_payments(app, merchant, 10)
            wait_until(lambda: len(receiver.of_type("checkout.paid")) >= 1, timeout=30,
                       what="work under way")
            _restart_redis()
            wait_until(lambda: all(payment(p).status == "succeeded" for _c, p in started),
                       timeout=90, before=db.session.rollback, what="all paid after restart")
            wait_until(lambda: len({b["data"]["id"]
                                    for b in receiver.of_type("checkout.paid")}) == 10,
                       timeout=90, what="every webhook delivered")
            _all_settled_once(started, receiver)
        finally:
            _stop(supervisor)
            _ensure_redis()


def _restart_redis():
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
                   timeout=30, capture_output=True)
    wait_until(lambda: subprocess.run(["redis-cli", "-p", "6379", "ping"],
                                      capture_output=True).returncode != 0, timeout=10)
    _ensure_redis()


def _ensure_redis():
    if subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True).returncode:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port",
                        "6379", "--save", "", "--appendonly", "no"], check=True, timeout=30)
    wait_until(lambda: subprocess.run(["redis-cli", "-p", "6379", "ping"],
                                      capture_output=True).stdout.strip() == b"PONG",
               timeout=20, what="Redis back")
