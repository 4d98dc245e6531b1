"""The one place that builds RQ queues, names jobs and enqueues them.

Two ways in. :func:`enqueue_after_commit` is for work a transaction just made due: the
job is enqueued once that transaction commits (never before: a fast worker must find the
rows) and dropped if it rolls back. :func:`ensure_job` is for putting back work Redis
lost: it enqueues under a stable id unless a live job with that id exists, telling a
live job from one whose worker died, whose queue was flushed or whose scheduler is gone.
The database says what is due; this makes Redis agree with it.

Jobs are named by dotted path (``"checkout.jobs.payments.initiate_payment"``) where the
module that enqueues must not import the one that runs: RQ imports the function in the
worker. ``tests/jobs`` checks that every such path resolves.
"""
import logging
import os
import socket
import time
from datetime import UTC, timedelta

import redis
from flask import g, has_app_context
from rq import Queue, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import event
from sqlalchemy.orm import Session

from checkout.core.timeutil import utcnow
from checkout.redis_store import redis_connection

log = logging.getLogger(__name__)

DEFAULT_JOB_TIMEOUT = 60        # seconds; outbound calls time out well before (5 + 25 s)
FAILURE_TTL = 7 * 24 * 3600     # keep a failed job's traceback a week, not RQ's year
# A scheduled job this late means no scheduler is serving the queue: enqueue it directly.
SCHEDULER_LATE_SECONDS = 30

# Jobs enqueued by name from modules that the job's own module imports.
INITIATE_PAYMENT = "checkout.jobs.payments.initiate_payment"
DELIVER_WEBHOOK = "checkout.webhooks_out.jobs.deliver"
PROCESS_NOTIFICATION = "checkout.webhooks_in.process.process_notification"
INITIATE_JOB_TIMEOUT = 180      # a blocking initiate call may hold its job ~2 minutes
# Where initiate calls that block (``Gateway.initiate_blocks``) wait for a runner: every
# worker process serves it with its own pool of threads (``worker.pool``).
BLOCKING_QUEUE = "blocking"


# --- job ids: every stable id is built here -------------------------------------------

def initiate_job_id(payment_id):
    return f"initiate-{payment_id}"


def notification_job_id(notification_id):
    return f"notification-{notification_id}"


def delivery_job_id(delivery_id, attempts):
    """The job of the attempt after ``attempts`` of a webhook delivery (one per attempt)."""
    return f"webhook-{delivery_id}-{attempts}"


# --- connections and queues -----------------------------------------------------------

class CheckoutQueue(Queue):
    """The queue class of our workers: a job enqueued without a timeout gets ours."""

    DEFAULT_TIMEOUT = DEFAULT_JOB_TIMEOUT


def get_queue(name="default", connection=None):
    return CheckoutQueue(name, connection=connection or redis_connection())


def _job_name(func):
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


# --- enqueue after commit -------------------------------------------------------------

def enqueue_after_commit(func, *args, job_id=None, delay=None, **kwargs):
    """Enqueue ``func(*args)`` (a function or its dotted path) once the current
    transaction commits; dropped if it rolls back. Outside an app context, at once."""
    item = (func, args, job_id, delay, kwargs)
    if has_app_context():
        g.setdefault("_after_commit_jobs", []).append(item)
    else:
        _enqueue(*item)


def _enqueue(func, args, job_id, delay, kwargs):
    q = get_queue(kwargs.pop("queue", "default"))
    opts = dict(job_id=job_id, **kwargs)
    if delay:
        return q.enqueue_in(timedelta(seconds=delay), func, *args, **opts)
    return q.enqueue(func, *args, **opts)


@event.listens_for(Session, "after_commit")
def _flush_after_commit(_session):
    pending = g.pop("_after_commit_jobs", []) if has_app_context() else []
    for item in pending:
        try:
            _enqueue(*item)
        except redis.RedisError:
            log.warning("enqueue failed; the sweeper will pick it up",
                        extra={"job": _job_name(item[0])})


@event.listens_for(Session, "after_soft_rollback")
def _discard_after_rollback(_session, _previous_transaction):
    if has_app_context():
        g.pop("_after_commit_jobs", None)


# --- ensure a job exists, once ----------------------------------------------------------

def ensure_job(func, *args, job_id, delay=None, job_timeout=DEFAULT_JOB_TIMEOUT,
               queue=None):
    """Enqueue ``func(*args)`` as ``job_id`` (in ``delay`` seconds) unless a live job with
    that id exists. A dead one (finished, failed, its worker gone, lost from its queue)
    is deleted first. Returns True if a job was enqueued. Raises redis errors."""
    queue = queue or get_queue()
    job = fetch_job(job_id, queue.connection)
    if job is not None:
        if job_is_alive(job, queue):
            return False
        job.delete()
    opts = dict(job_id=job_id, unique=True, job_timeout=job_timeout, result_ttl=0,
                failure_ttl=FAILURE_TTL)
    try:
        if delay and delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), func, *args, **opts)
        else:
            queue.enqueue(func, *args, **opts)
    except DuplicateJobError:
        return False  # another process enqueued it meanwhile
    return True


def fetch_job(job_id, connection):
    try:
        return Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    except Exception:  # noqa: BLE001 - an unreadable job hash is a lost job
        return _BrokenJob(job_id, connection)


class _BrokenJob:
    def __init__(self, job_id, connection):
        self.id, self.connection = job_id, connection

    def get_status(self, refresh=False):
        return None

    def delete(self):
        self.connection.delete(Job.key_for(self.id))


def job_is_alive(job, queue):
    """Whether ``job`` will still run without help. A scheduled job whose time passed
    long ago is handed to its queue here (the scheduler that should have done it is
    gone) and counts as alive."""
    status = job.get_status(refresh=False)
    conn = queue.connection
    if status == JobStatus.QUEUED:
        return any(conn.lpos(key, job.id) is not None
                   for key in (queue.key, queue.intermediate_queue_key))
    if status == JobStatus.SCHEDULED:
        registry = ScheduledJobRegistry(queue=queue)
        score = conn.zscore(registry.key, job.id)
        if score is None:
            return False
        if score < time.time() - SCHEDULER_LATE_SECONDS:
            registry.remove(job)
            queue.enqueue_job(job)
        return True
    if status == JobStatus.STARTED:
        return _worker_alive(job, conn) and not _overran(job)
    if status == JobStatus.DEFERRED:
        return True
    return False  # finished, failed, stopped, canceled, unknown


def _overran(job):
    """Started longer ago than its timeout allows (plus a margin): its worker is stuck
    or gone even if its registration has not expired yet."""
    if job.started_at is None:
        return False
    limit = (job.timeout if job.timeout and job.timeout > 0 else DEFAULT_JOB_TIMEOUT) + 60
    started = job.started_at
    if started.tzinfo is not None:
        started = started.astimezone(UTC).replace(tzinfo=None)
    return (utcnow() - started).total_seconds() > limit


def _worker_alive(job, conn):
    if not job.worker_name:
        return True  # cannot tell: let the timeout decide
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name,
                                connection=conn)
    if worker is None or worker.death_date is not None:
        return False
    if worker.hostname == socket.gethostname() and worker.pid:
        return pid_alive(worker.pid)
    return True


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
