"""The job queue: one job per id (``ensure_job``), a failed, orphaned or overdue job
replaced or handed on, a live one left alone."""
import socket
import time

from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from checkout.core.timeutil import utcnow
from checkout.jobs.queue import ensure_job, get_queue
from tests import tasks


def test_ensure_job_keeps_one_job_per_id(app, redis_conn):
    assert ensure_job(tasks.record, 1, job_id="one") is True
    assert ensure_job(tasks.record, 2, job_id="one") is False
    assert get_queue().job_ids == ["one"]


def test_ensure_job_replaces_a_failed_job(app, redis_conn, run_jobs_until):
    ensure_job(tasks.crash, job_id="flaky")
    run_jobs_until(lambda: Job.fetch("flaky", connection=redis_conn).get_status()
                   == JobStatus.FAILED)
    assert ensure_job(tasks.record, "again", job_id="flaky") is True
    run_jobs_until(lambda: tasks.ran(redis_conn) == ["checkout:again"])


def test_ensure_job_replaces_a_job_whose_worker_died(app, redis_conn):
    ensure_job(tasks.record, 1, job_id="orphan")
    job = Job.fetch("orphan", connection=redis_conn)
    redis_conn.lrem(get_queue().key, 0, "orphan")           # a worker took it...
    job.set_status(JobStatus.STARTED)
    job.worker_name = "dead-worker"
    job.started_at = utcnow()
    job.save()
    redis_conn.hset("rq:worker:dead-worker", mapping={       # ...then was SIGKILLed
        "pid": 2 ** 22 + 7, "hostname": socket.gethostname(), "queues": "default",
        "birth": "2026-01-01T00:00:00.000000Z", "last_heartbeat": "2026-01-01T00:00:00.000000Z"})
    assert ensure_job(tasks.record, 2, job_id="orphan") is True
    assert get_queue().job_ids == ["orphan"]


def test_ensure_job_leaves_a_live_started_job(app, redis_conn):
    ensure_job(tasks.record, 1, job_id="busy")
    job = Job.fetch("busy", connection=redis_conn)
    redis_conn.lrem(get_queue().key, 0, "busy")
    job.set_status(JobStatus.STARTED)
    job.started_at = utcnow()
    job.save()                      # no worker name: only its timeout can call it dead
    assert ensure_job(tasks.record, 2, job_id="busy") is False


def test_an_overdue_scheduled_job_is_handed_to_its_queue(app, redis_conn):
    queue = get_queue()
    ensure_job(tasks.record, 1, job_id="late", delay=60)
    registry = ScheduledJobRegistry(queue=queue)
    redis_conn.zadd(registry.key, {"late": time.time() - 120})   # no scheduler ran
    assert ensure_job(tasks.record, 1, job_id="late") is False
    assert queue.job_ids == ["late"] and "late" not in registry.get_job_ids()
