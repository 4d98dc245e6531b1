"""Fixtures that run real processes and servers: the provider simulators, the app on a
real HTTP port, RQ workers.

- ``ServerThread(wsgi_app)``: a context manager serving an app on a real 127.0.0.1 port.
- ``simulator`` (session): every provider simulator on a real port, fast timings
  (``SIM_CONFIG``); ``.url``, ``.app``, ``.reset()``, ``.transactions()`` and
  ``.transaction(reference)`` (what FeexPay holds). Reset by ``live_server``.
- ``live_server``: the test ``app`` (PostgreSQL test database, Redis db 15) on a real
  port, with CHECKOUT_PUBLIC_URL = its own URL and SIMULATOR_URL = the simulator's;
  ``.url``, ``.app``. Test shops are registered with the simulator automatically (those
  that exist when it starts, and every one committed while it runs);
  ``.register(merchant=None)`` does it again by hand.
- ``worker``: the real worker (``checkout.worker.ThreadWorker``: the same class and code
  path as the worker processes, in a thread so that tests may monkeypatch), RQ's
  scheduler and the periodic jobs (every second), for the whole test; stopped after the
  queue drains. ``worker.run_jobs_until(predicate, timeout)`` waits for a condition.
- ``run_jobs_until``: no background worker; ``run_jobs_until(predicate, timeout)`` runs
  queued and due scheduled jobs in the calling thread until ``predicate()`` is truthy.

Both wait with ``tests.waiting.wait_until``. Predicates run in the test's app context
after a rollback (so they see what the worker committed): commit your own changes before
waiting.
"""
import threading
import time

import pytest
import requests
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from checkout.extensions import db
from checkout.jobs.polling import poll_due
from checkout.jobs.queue import BLOCKING_QUEUE, get_queue
from checkout.merchants.testmode import register_accounts, register_test_accounts
from checkout.models import GatewayAccount
from checkout.simulators import close, create_simulator_app, reset
from checkout.worker.periodic import PeriodicThread, SchedulerThread
from checkout.worker.poller import Poller
from checkout.worker.process import ThreadWorker, worker_connection
from tests.waiting import wait_until

SIM_CONFIG = {
    "delay_seconds": 0.5, "late_delay_seconds": 4,
    # Daraja: a second push to one number is refused ("unable to lock subscriber") only
    # within half a second, no "same amount, same number" refusal (ResultCode 17), and the
    # reversal's Result comes quickly.
    "mpesa_ke": {"lock_seconds": 0.5, "repeat_seconds": 0, "reversal_delay_seconds": 0.3},
    # Vodacom MZ: "never answers" (04) holds the C2B request 2 s, then INS-9.
    "mpesa_mz": {"hold_seconds": 2},
}


class ServerThread:
    """A real HTTP server on 127.0.0.1 serving a WSGI app in a thread."""

    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


class Simulator:
    def __init__(self):
        self.app = create_simulator_app(SIM_CONFIG)
        self.server = ServerThread(self.app)
        self.url = self.server.url

    def reset(self):
        reset(self.app)

    def transaction(self, reference):
        """What the FeexPay simulator holds about ``reference`` (its _sim inspection)."""
        resp = requests.get(f"{self.url}/feexpay/_sim/transactions/{reference}", timeout=5)
        resp.raise_for_status()
        return resp.json()

    def transactions(self):
        resp = requests.get(f"{self.url}/feexpay/_sim/transactions", timeout=5)
        resp.raise_for_status()
        return resp.json()


@pytest.fixture(scope="session")
def simulator():
    sim = Simulator()
    with sim.server:
        yield sim
    close(sim.app)


class LiveServer:
    def __init__(self, app, url):
        self.app, self.url = app, url

    def register(self, merchant=None):
        """Register test shops with the simulator (one merchant's, or everyone's)."""
        return register_test_accounts(getattr(merchant, "id", merchant))


class _ShopAutoRegistration:
    """While installed, every test-mode FeexPay account committed in this process is
    registered with the simulator right after the commit (merchants made by the
    ``make_merchant`` factory before or after ``live_server`` started alike)."""

    def __init__(self):
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "after_commit", self._after_commit)

    def _after_flush(self, session, _ctx):
        new = [o for o in session.new if isinstance(o, GatewayAccount)]
        if new:
            session.info.setdefault("_sim_accounts", []).extend(new)

    def _after_commit(self, session):
        accounts = session.info.pop("_sim_accounts", [])
        if accounts:
            register_accounts(accounts)

    def remove(self):
        event.remove(Session, "after_flush", self._after_flush)
        event.remove(Session, "after_commit", self._after_commit)


@pytest.fixture
def live_server(app, simulator):
    simulator.reset()
    server = ServerThread(app)
    app.config.update(CHECKOUT_PUBLIC_URL=server.url, SIMULATOR_URL=simulator.url)
    auto = _ShopAutoRegistration()
    try:
        with server:
            live = LiveServer(app, server.url)
            live.register()
            yield live
    finally:
        auto.remove()
        simulator.reset()


def _fresh_reads(step=None):
    """What to do before each look: ``step()`` (when given), then a rollback so that the
    predicate sees what other sessions committed."""
    def before():
        if step is not None:
            step()
        db.session.rollback()
    return before


class WorkerHarness:
    """The real worker, RQ's scheduler and the periodic jobs, in threads of the test."""

    def __init__(self, app, periodic_seconds=1):
        self.app = app
        # The harness's one thread also serves the blocking queue (initiate calls that
        # block); worker processes give it a pool of their own (tests/worker).
        self.queues = [*app.config.get("RQ_QUEUES", ["default"]), BLOCKING_QUEUE]
        self.connection = worker_connection(app.config["REDIS_URL"])
        self.periodic_seconds = periodic_seconds
        self.worker = self.thread = self.scheduler = self.periodic = self.poller = None

    def start(self):
        self.worker = ThreadWorker(self.queues, app=self.app, connection=self.connection,
                                   idle_poll=0.25)
        self.thread = threading.Thread(target=self.worker.work, name="test-worker",
                                       kwargs={"logging_level": "WARNING"}, daemon=True)
        self.thread.start()
        self.poller = Poller(self.app, concurrency=8, idle_seconds=0.1).start()
        self.scheduler = SchedulerThread(self.queues, self.connection, interval=1).start()
        if self.periodic_seconds:
            self.periodic = PeriodicThread(get_queue(self.queues[0], self.connection),
                                           self.periodic_seconds).start()
        return self

    def run_jobs_until(self, predicate, timeout=10, what="condition"):
        return wait_until(predicate, timeout, before=_fresh_reads(), what=what)

    def idle(self):
        queues = [get_queue(name, self.connection) for name in self.queues]
        return all(q.count == 0 and q.started_job_registry.count == 0 for q in queues)

    def stop(self, drain_timeout=5):
        if self.periodic is not None:
            self.periodic.stop()
        self.scheduler.scheduler.request_stop()     # stops within its 1 s tick
        deadline = time.monotonic() + drain_timeout
        while time.monotonic() < deadline and not self.idle():
            time.sleep(0.05)
        self.poller.stop()
        self.worker.stop()
        self.thread.join(30)
        self.scheduler.stop()


@pytest.fixture
def worker(app):
    harness = WorkerHarness(app).start()
    yield harness
    harness.stop()


@pytest.fixture
def run_jobs_until(app):
    """Drive the worker from the test: run what is queued or due until the predicate."""
    conn = worker_connection(app.config["REDIS_URL"])
    queues = [*app.config.get("RQ_QUEUES", ["default"]), BLOCKING_QUEUE]

    def step():
        ThreadWorker(queues, app=app, connection=conn).work(
            burst=True, with_scheduler=True, logging_level="WARNING")
        poll_due()

    def run(predicate, timeout=10, what="condition"):
        return wait_until(predicate, timeout, before=_fresh_reads(step), what=what)

    return run
