"""The poller of a worker process: status calls of many pending attempts at once.

A provider answers a status call in 0.3-2 s; one call at a time would poll two or three
attempts a second. The poller claims due attempts from the database in batches
(``jobs.polling.claim_tasks``: a lease on each, skipping rows another poller holds) and
hands each to a bounded pool of threads that runs ``jobs.polling.poll_task``; it claims
no more than it has free threads for, so a claim is never left waiting in memory. Each
poll opens a database connection only around its reads and writes (never across the
provider call), so the process's SQLAlchemy pool stays small however many calls are out.
"""
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import SQLAlchemyError

from checkout.extensions import db
from checkout.jobs.polling import claim_tasks, poll_task
from checkout.logs import request_id_var

log = logging.getLogger(__name__)


class Poller:
    """Claims due attempts and polls them on ``concurrency`` threads, until ``stop``."""

    def __init__(self, app, concurrency=256, batch=100, idle_seconds=0.25, lease_seconds=None):
        self.app = app
        self.concurrency = max(1, concurrency)
        self.batch = max(1, batch)
        self.idle_seconds = idle_seconds
        self.lease_seconds = lease_seconds or app.config.get("POLL_LEASE_SECONDS", 60)
        self._free = threading.Semaphore(self.concurrency)
        self._stop = threading.Event()
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="poll")
        self._thread = None
        self.polled = 0            # polls finished by this poller (benchmarks read it)
        self._count_lock = threading.Lock()

    def start(self):
        self._thread = threading.Thread(target=self.run, name="poller", daemon=True)
        self._thread.start()
        return self

    def run(self):
        while not self._stop.is_set():
            free = self._reserve()
            if not free:
                continue
            try:
                with self.app.app_context():
                    try:
                        tasks = claim_tasks(min(free, self.batch), self.lease_seconds)
                    finally:
                        db.session.remove()
            except SQLAlchemyError as exc:
                # The database is away (restarting): keep the threads, try again soon.
                log.warning("poller cannot claim; retrying", extra={"error": str(exc)[:200]})
                tasks = []
                self._stop.wait(1)
            for _ in range(free - len(tasks)):
                self._free.release()
            for task in tasks:
                self._executor.submit(self._poll, task)
            if len(tasks) < free:
                self._stop.wait(self.idle_seconds)

    def _reserve(self):
        """Take as many free threads as there are (at least one, waiting a little)."""
        if not self._free.acquire(timeout=self.idle_seconds):
            return 0
        taken = 1
        while taken < self.batch and self._free.acquire(blocking=False):
            taken += 1
        return taken

    def _poll(self, task):
        token = request_id_var.set(f"poll_{task.payment_id}")
        try:
            with self.app.app_context():
                try:
                    poll_task(task)
                finally:
                    db.session.remove()
            with self._count_lock:
                self.polled += 1
        except Exception:  # noqa: BLE001 - one bad poll must not stop the others
            log.exception("poll failed", extra={"payment": task.payment_id})
        finally:
            request_id_var.reset(token)
            self._free.release()

    def stop(self, wait=True):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self._executor.shutdown(wait=wait, cancel_futures=True)
