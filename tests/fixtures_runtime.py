"""Fixtures that run real processes and servers: the provider simulators, the app on a
real HTTP port, RQ workers.

- ``simulator`` (session): every provider simulator on a real port, fast timings
  (``SIM_CONFIG``); ``.url``, ``.app``, ``.reset()``. Reset by ``live_server``.
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

Predicates run in the test's app context after a rollback (so they see what the worker
committed): commit your own changes before waiting.
"""
import threading
import time

import pytest

from checkout.extensions import db

SIM_CONFIG = {"delay_seconds": 0.5, "late_delay_seconds": 4}


class Simulator:
    def __init__(self):
        from checkout.simulators import create_simulator_app
        from tests.conftest import ServerThread
        self.app = create_simulator_app(SIM_CONFIG)
        self.server = ServerThread(self.app)
        self.url = self.server.url

    def reset(self):
        from checkout.simulators import reset
        reset(self.app)


@pytest.fixture(scope="session")
def simulator():
    from checkout.simulators import close
    sim = Simulator()
    with sim.server:
        yield sim
    close(sim.app)


class LiveServer:
    def __init__(self, app, url):
        self.app, self.url = app, url

    def register(self, merchant=None):
        """Register test shops with the simulator (one merchant's, or everyone's)."""
        from checkout.merchants.testmode import register_test_accounts
        return register_test_accounts(getattr(merchant, "id", merchant))


class _ShopAutoRegistration:
    """While installed, every test-mode FeexPay account committed in this process is
    registered with the simulator right after the commit (merchants made by the
    ``make_merchant`` factory before or after ``live_server`` started alike)."""

    def __init__(self):
        from sqlalchemy import event
        from sqlalchemy.orm import Session
        self.event, self.session_cls = event, Session
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "after_commit", self._after_commit)

    def _after_flush(self, session, _ctx):
        from checkout.models import GatewayAccount
        new = [o for o in session.new if isinstance(o, GatewayAccount)]
        if new:
            session.info.setdefault("_sim_accounts", []).extend(new)

    def _after_commit(self, session):
        from checkout.merchants.testmode import register_accounts
        accounts = session.info.pop("_sim_accounts", [])
        if accounts:
            register_accounts(accounts)

    def remove(self):
        self.event.remove(self.session_cls, "after_flush", self._after_flush)
        self.event.remove(self.session_cls, "after_commit", self._after_commit)


@pytest.fixture
def live_server(app, simulator):
    from tests.conftest import ServerThread
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


def wait_for(predicate, timeout, step=None, what="condition"):
    """Call ``step()`` then ``predicate()`` (after a rollback) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            step()
        db.session.rollback()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {timeout}s")
        time.sleep(0.05)


class WorkerHarness:
    """The real worker, RQ's scheduler and the periodic jobs, in threads of the test."""

    def __init__(self, app, periodic_seconds=1):
        from checkout.worker.process import worker_connection
        self.app = app
        self.queues = app.config.get("RQ_QUEUES", ["default"])
        self.connection = worker_connection(app.config["REDIS_URL"])
        self.periodic_seconds = periodic_seconds
        self.worker = self.thread = self.scheduler = self.periodic = None

    def start(self):
        from checkout.worker.process import ThreadWorker
        from checkout.jobs.queue import get_queue
        from checkout.worker.periodic import PeriodicThread, SchedulerThread
        self.worker = ThreadWorker(self.queues, app=self.app, connection=self.connection,
                                   idle_poll=0.25)
        self.thread = threading.Thread(target=self.worker.work, name="test-worker",
                                       kwargs={"logging_level": "WARNING"}, daemon=True)
        self.thread.start()
        self.scheduler = SchedulerThread(self.queues, self.connection, interval=1).start()
        if self.periodic_seconds:
            self.periodic = PeriodicThread(get_queue(self.queues[0], self.connection),
                                           self.periodic_seconds).start()
        return self

    def run_jobs_until(self, predicate, timeout=10, what="condition"):
        return wait_for(predicate, timeout, what=what)

    def idle(self):
        from checkout.jobs.queue import get_queue
        queue = get_queue(self.queues[0], self.connection)
        return queue.count == 0 and queue.started_job_registry.count == 0

    def stop(self, drain_timeout=5):
        if self.periodic is not None:
            self.periodic.stop()
        self.scheduler.scheduler.request_stop()     # stops within its 1 s tick
        deadline = time.monotonic() + drain_timeout
        while time.monotonic() < deadline and not self.idle():
            time.sleep(0.05)
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
    from checkout.worker.process import ThreadWorker, worker_connection
    conn = worker_connection(app.config["REDIS_URL"])
    queues = app.config.get("RQ_QUEUES", ["default"])

    def step():
        ThreadWorker(queues, app=app, connection=conn).work(
            burst=True, with_scheduler=True, logging_level="WARNING")

    def run(predicate, timeout=10, what="condition"):
        return wait_for(predicate, timeout, step=step, what=what)

    return run
