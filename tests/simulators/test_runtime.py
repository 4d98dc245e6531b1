"""Simulator plumbing: the timer scheduler."""
import threading

from checkout.simulators._runtime import Scheduler


def test_scheduler_runs_jobs_in_due_order_and_honours_cancel():
    scheduler, ran, done = Scheduler("test-timer"), [], threading.Event()
    scheduler.call_later(0.06, ran.append, "late")
    cancelled = scheduler.call_later(0.03, ran.append, "cancelled")
    scheduler.call_later(0.01, ran.append, "early")
    scheduler.call_later(0.09, done.set)
    scheduler.cancel(cancelled)
    assert done.wait(2)
    assert ran == ["early", "late"]
    scheduler.stop()


def test_scheduler_survives_a_failing_job_and_clear_drops_pending_jobs():
    scheduler, ran, done = Scheduler("test-timer"), [], threading.Event()
    scheduler.call_later(0, lambda: 1 / 0)
    scheduler.call_later(0.01, done.set)
    assert done.wait(2)
    scheduler.call_later(0.05, ran.append, "dropped")
    scheduler.clear()
    again = threading.Event()
    scheduler.call_later(0.1, again.set)
    assert again.wait(2) and ran == []
    scheduler.stop()
