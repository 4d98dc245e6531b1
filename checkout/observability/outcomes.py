"""Attempts that ended, told to the metrics and the operator health once their
transaction commits (never for one that rolls back)."""
from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from checkout.gateways import all_methods

from . import health, metrics


def attempt_ended(gateway: str, method: str, status: str, failure_code: str | None) -> None:
    """An attempt reached a final status (succeeded, failed, expired) in the current
    transaction: counted after it commits."""
    item = (gateway, method, str(status), failure_code)
    if has_app_context():
        g.setdefault("_ended_attempts", []).append(item)
    else:
        _publish(item)


def _publish(item):
    gateway, method, status, code = item
    metrics.payment_finished(gateway, method, status)
    offered = all_methods().get(method)
    if offered is not None and offered.kind == "mobile_money":
        verdict = health.counts_against(status, code)
        if verdict is not None:
            health.record(offered.operator_key, verdict)


@event.listens_for(Session, "after_commit")
def _after_commit(_session):
    for item in (g.pop("_ended_attempts", []) if has_app_context() else []):
        _publish(item)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(_session, _previous_transaction):
    if has_app_context():
        g.pop("_ended_attempts", None)
