"""What runs beside the workers: RQ's scheduler (moves due scheduled jobs, poll retries
included, onto their queue) in a thread, and the periodic jobs.

RQ's own ``with_scheduler`` forks a scheduler child per worker that outlives a worker
killed with SIGKILL; in a thread it lives and dies with the process that owns it (the
supervisor, or a test). Several hosts may each run one: RQ's per-queue lock lets one
of them schedule, and the sweeper enqueues any scheduled job left far past its time.
"""
import logging
import threading

from rq.scheduler import RQScheduler

from checkout.jobs.payments import expire_checkouts
from checkout.jobs.queue import ensure_job
from checkout.jobs.sweep import sweep

log = logging.getLogger(__name__)

PERIODIC_JOB_TIMEOUT = 300


class _ThreadScheduler(RQScheduler):
    def _install_signal_handlers(self):
        pass  # signals belong to the main thread, which stops us with request_stop()


class SchedulerThread:
    """RQ's scheduler loop for ``queues`` in a daemon thread."""

    def __init__(self, queue_names, connection, interval=1):
        self.queue_names, self.connection, self.interval = queue_names, connection, interval
        self.scheduler = None
        self.thread = None

    def start(self):
        self.scheduler = _ThreadScheduler(self.queue_names, connection=self.connection,
                                          interval=self.interval)
        self.thread = threading.Thread(target=self._run, name="rq-scheduler", daemon=True)
        self.thread.start()
        return self

    def _run(self):
        try:
            self.scheduler.acquire_locks()
            self.scheduler.work()
        except Exception:  # noqa: BLE001 - Redis gone: the owner restarts us
            log.exception("scheduler thread stopped")

    def alive(self):
        return self.thread is not None and self.thread.is_alive()

    def stop(self, timeout=5):
        if self.scheduler is not None:
            self.scheduler.request_stop()
        if self.thread is not None:
            self.thread.join(timeout)


def enqueue_periodic(queue):
    """Enqueue the periodic jobs unless they are already waiting (unique ids)."""
    done = []
    for job_id, func in (("periodic-expire-checkouts", expire_checkouts),
                         ("periodic-sweep", sweep)):
        if ensure_job(func, job_id=job_id, queue=queue, job_timeout=PERIODIC_JOB_TIMEOUT):
            done.append(job_id)
    return done


class PeriodicThread:
    """Calls :func:`enqueue_periodic` every ``seconds`` in a daemon thread."""

    def __init__(self, queue, seconds=30):
        self.queue, self.seconds = queue, seconds
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="periodic", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                enqueue_periodic(self.queue)
            except Exception:  # noqa: BLE001 - Redis down: try again next tick
                log.warning("could not enqueue the periodic jobs", exc_info=True)
            self._stop.wait(self.seconds)

    def stop(self, timeout=5):
        self._stop.set()
        self.thread.join(timeout)
