"""Retention: rows kept for a while and then deleted by the sweeper, a bounded amount per
run, at most once an hour across all processes.

- Idempotency records: 24 hours (api.md promises a replay for 24 hours; a reserved key
  whose request died is released sooner, by ``api.idempotency``).
"""
from datetime import timedelta

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import IdempotencyRecord
from checkout.redis_store import at_most_every

IDEMPOTENCY_RETENTION = timedelta(hours=24)
PURGE_EVERY_SECONDS = 3600
BATCH = 5000


def purge_idempotency_records(older_than=IDEMPOTENCY_RETENTION, batch=BATCH, max_batches=None):
    """Delete idempotency records older than ``older_than``, in batches, committing each.
    Returns how many were deleted."""
    cutoff = utcnow() - older_than
    total, batches = 0, 0
    while max_batches is None or batches < max_batches:
        ids = db.session.execute(
            db.select(IdempotencyRecord.id).where(IdempotencyRecord.created_at < cutoff)
            .limit(batch)).scalars().all()
        if not ids:
            break
        db.session.execute(db.delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids)))
        db.session.commit()
        total += len(ids)
        batches += 1
    return total


def purge_idempotency_hourly():
    """The sweeper's hook for :func:`purge_idempotency_records` (added by the factory)."""
    if not at_most_every("purge-idempotency", PURGE_EVERY_SECONDS):
        return 0
    return purge_idempotency_records(max_batches=20)
