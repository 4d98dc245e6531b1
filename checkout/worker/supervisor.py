"""``flask --app wsgi worker --processes N``: N worker processes, restarted when they
die, plus the scheduler and the periodic jobs, in one supervisor process.

Workers are ``python -m checkout.worker`` children (configured by the same environment)
in their own sessions, so a terminal's Ctrl-C reaches only the supervisor, which then
asks each child once to finish its job and stop (SIGTERM: RQ's warm shutdown), and
kills what is still running after ``grace`` seconds (the sweeper recovers its job).
A child watches the supervisor's pid and stops if the supervisor is gone.
"""
import logging
import os
import signal
import subprocess
import sys
import time

from checkout.jobs.queue import get_queue

from .periodic import PeriodicThread, SchedulerThread
from .process import worker_connection

log = logging.getLogger(__name__)

FAST_EXIT_SECONDS = 10      # a child that dies sooner than this is restarted with backoff
MAX_BACKOFF_SECONDS = 30


class Child:
    def __init__(self, slot, argv):
        self.slot, self.argv = slot, argv
        self.proc = None
        self.started = 0.0
        self.backoff = 1.0
        self.restart_at = 0.0

    def start(self):
        self.proc = subprocess.Popen(self.argv, start_new_session=True)
        self.started = time.monotonic()
        log.info("worker process started", extra={"slot": self.slot, "pid": self.proc.pid})

    def check(self, now):
        """Restart the process if it died (with backoff if it dies young)."""
        if self.proc is not None and self.proc.poll() is None:
            return
        if self.proc is not None:
            code = self.proc.returncode
            lived = now - self.started
            self.backoff = 1.0 if lived > FAST_EXIT_SECONDS else min(self.backoff * 2,
                                                                     MAX_BACKOFF_SECONDS)
            log.warning("worker process exited; restarting",
                        extra={"slot": self.slot, "pid": self.proc.pid, "code": code,
                               "in_seconds": self.backoff})
            self.restart_at = now + (0 if lived > FAST_EXIT_SECONDS else self.backoff)
            self.proc = None
        if now >= self.restart_at:
            self.start()


class Supervisor:
    def __init__(self, app, processes=1, queues=None, periodic_seconds=30, grace=30):
        self.app = app
        self.queues = queues or app.config.get("RQ_QUEUES", ["default"])
        self.periodic_seconds = periodic_seconds
        self.grace = grace
        argv = [sys.executable, "-m", "checkout.worker", "--parent-pid", str(os.getpid()),
                "--queues", ",".join(self.queues)]
        self.children = [Child(i, argv) for i in range(max(1, processes))]
        self._stopping = False

    def _on_signal(self, signum, _frame):
        log.info("supervisor stopping", extra={"signal": signum})
        self._stopping = True

    def run(self):
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        conn = worker_connection(self.app.config["REDIS_URL"])
        scheduler = SchedulerThread(self.queues, conn).start()
        periodic = PeriodicThread(get_queue(self.queues[0], conn),
                                  self.periodic_seconds).start()
        scheduler_restart_at = 0.0
        try:
            while not self._stopping:
                now = time.monotonic()
                for child in self.children:
                    child.check(now)
                if not scheduler.alive() and now >= scheduler_restart_at:
                    scheduler = SchedulerThread(self.queues, conn).start()
                    scheduler_restart_at = now + 5
                time.sleep(0.5)
        finally:
            self._shutdown(scheduler, periodic)

    def _shutdown(self, scheduler, periodic):
        periodic.stop()
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker did not stop in time; killing it", extra={"pid": proc.pid})
                proc.kill()
                proc.wait()
        scheduler.stop()
        log.info("supervisor stopped")
