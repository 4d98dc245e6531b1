"""The RQ worker: the app is built once per process and every job runs in that process,
inside its own app context (SimpleWorker-style: no fork per job).

RQ's default worker forks a child per job, which then has to import and build the app:
a few jobs per second; loading it once per process is about two orders of magnitude
faster (bench/worker_polls.py measures whole polls). A job that raises is recorded as
failed and the worker goes on; a job that hangs is cut by the RQ job timeout (every
outbound call also has its own timeout); the database session is removed after every
job. ``flask --app wsgi worker --processes N`` runs N of these under a supervisor
(``worker.supervisor``), which also runs the scheduler and the periodic jobs.

    python -m checkout.worker [--queues default] [--parent-pid PID]

runs one worker process (what the supervisor starts; ``worker/__main__.py``).

Many job runners in one process. Jobs wait on the network, not on the CPU: a
provider's status call takes 0.3-2 s and Vodacom's C2B call holds its request open until
the shopper answers (up to two minutes). So beside the main-thread worker (which owns the
signals) a process runs ``WORKER_THREADS - 1`` more workers on the same queues (webhooks,
notifications, refunds), its poller (``worker.poller``: ``POLL_CONCURRENCY`` status calls
at once, claimed from the database), and ``WORKER_BLOCKING_THREADS`` workers on the ``blocking``
queue only, where initiate calls that block are enqueued: fifty shoppers approving on
their phones never hold up a poll or a webhook. Each runner is an RQ worker of its own
(name, Redis connection, registries), so RQ's bookkeeping stays per job; a runner killed
with its process leaves its job to the sweeper as before. The process's SQLAlchemy pool
serves them all, one connection per job while it touches the database (never across a
provider call).
"""
import logging
import os
import socket
import threading
import time
import uuid

import redis
from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.timeouts import TimerDeathPenalty, UnixSignalDeathPenalty

from checkout.extensions import db
from checkout.jobs.queue import BLOCKING_QUEUE, CheckoutQueue
from checkout.logs import request_id_var

from .poller import Poller

log = logging.getLogger(__name__)


def worker_name():
    return f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


def worker_connection(url):
    """A Redis client for a worker: no socket timeout of ours (RQ sets one above its
    blocking dequeue timeout)."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


class CheckoutWorker(SimpleWorker):
    """Runs each job in this process inside ``app.app_context()``.

    ``idle_poll`` is how long one blocking dequeue waits before the worker looks at its
    stop flag again (RQ's own loop only stops on a signal while idle)."""

    queue_class = CheckoutQueue
    death_penalty_class = UnixSignalDeathPenalty

    def __init__(self, queues, app, idle_poll=5, **kwargs):
        self.app = app
        self.idle_poll = idle_poll
        self._stop_event = threading.Event()
        kwargs.setdefault("name", worker_name())
        kwargs.setdefault("default_result_ttl", 0)
        super().__init__(queues, **kwargs)

    def perform_job(self, job, queue, execution):
        token = request_id_var.set(f"job_{job.id}")
        try:
            with self.app.app_context():
                try:
                    return super().perform_job(job, queue, execution)
                finally:
                    db.session.remove()
        finally:
            request_id_var.reset(token)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        if timeout is None:  # burst mode: a non-blocking pop
            return super().dequeue_job_and_maintain_ttl(None, max_idle_time)
        wait = max(0.2, min(timeout, self.idle_poll))
        while True:
            if self._stop_event.is_set():
                raise StopRequested()
            result = super().dequeue_job_and_maintain_ttl(wait, max_idle_time=wait)
            if result is not None:
                return result

    def stop(self):
        """Ask the worker to stop after the job it is running (from any thread)."""
        self._stop_event.set()
        self._stop_requested = True


class ThreadWorker(CheckoutWorker):
    """The same worker for a non-main thread (tests, benchmarks): signal-free job
    timeouts and no signal handlers."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


STOP_GRACE_SECONDS = 150     # a runner inside a blocking call may need its whole call


class RunnerThread(ThreadWorker):
    """A worker in a non-main thread of a worker process: no pubsub listener of its
    own (commands reach the process's main worker; one fewer connection per runner)."""

    def subscribe(self):
        pass

    def unsubscribe(self):
        pass


class RunnerPool:
    """The extra runners of one worker process (see the module doc)."""

    def __init__(self, app, queues, threads=1, blocking_threads=0, idle_poll=5):
        url = app.config["REDIS_URL"]
        plan = [list(queues)] * max(0, threads - 1) + \
            [[BLOCKING_QUEUE]] * max(0, blocking_threads)
        self.workers = [RunnerThread(names, app=app, connection=worker_connection(url),
                                     idle_poll=idle_poll) for names in plan]
        self.threads = []

    def start(self, burst=False, logging_level="INFO"):
        for i, worker in enumerate(self.workers):
            thread = threading.Thread(target=self._run, args=(worker, burst, logging_level),
                                      name=f"runner-{i}", daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    @staticmethod
    def _run(worker, burst, logging_level):
        try:
            worker.work(burst=burst, logging_level=logging_level, with_scheduler=False)
        except Exception:  # noqa: BLE001 - a runner's death must not go unseen
            log.exception("runner stopped", extra={"worker": worker.name})

    def stop(self):
        for worker in self.workers:
            worker.stop()

    def join(self, timeout=STOP_GRACE_SECONDS):
        for thread in self.threads:
            thread.join(timeout)

    def alive(self):
        return sum(1 for t in self.threads if t.is_alive())


def run_worker(app, queues=None, parent_pid=None, burst=False, threads=None,
               blocking_threads=None):
    """Run one worker process until SIGTERM/SIGINT (or until the queues are empty when
    ``burst``): the main-thread worker plus its runner threads (see above; counts
    from WORKER_THREADS and WORKER_BLOCKING_THREADS). With ``parent_pid``, stop when
    that process is gone (a supervisor killed with SIGKILL must not leave orphans)."""
    queues = queues or app.config.get("RQ_QUEUES", ["default"])
    level = app.config.get("LOG_LEVEL", "INFO")
    threads = app.config.get("WORKER_THREADS", 4) if threads is None else threads
    blocking = (app.config.get("WORKER_BLOCKING_THREADS", 64) if blocking_threads is None
                else blocking_threads)
    if burst:
        # Draining what is queued (tests, one-off runs): the main thread alone, on every
        # queue, so that each job is cut by a signal at its timeout (a thread's timeout
        # only interrupts Python code, not a call blocked in C).
        queues, threads, blocking = [*queues, BLOCKING_QUEUE], 1, 0
    pool = RunnerPool(app, queues, threads=threads, blocking_threads=blocking)
    conn = worker_connection(app.config["REDIS_URL"])
    worker = CheckoutWorker(queues, app=app, connection=conn)
    if parent_pid:
        _watch_parent(worker, parent_pid)
    poller = None
    if not burst and app.config.get("POLL_CONCURRENCY", 256) > 0:
        poller = Poller(app, concurrency=app.config.get("POLL_CONCURRENCY", 256)).start()
    pool.start(burst=burst, logging_level=level)
    try:
        worker.work(burst=burst, logging_level=level, with_scheduler=False)
    finally:
        if poller is not None:
            poller.stop(wait=False)
        pool.stop()
        pool.join()
    return worker


def _watch_parent(worker, parent_pid):
    def watch():
        while not worker._stop_event.is_set():
            if os.getppid() != parent_pid:
                log.warning("supervisor gone; worker stopping", extra={"parent": parent_pid})
                worker.stop()
                return
            time.sleep(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
