"""JSON shapes of endpoints, events and deliveries (with their attempts)."""
from collections.abc import Iterable
from typing import Any

from checkout.core.timeutil import isoformat, utcnow
from checkout.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from checkout.models.webhooks import DeliveryStatus


def serialize_endpoint(e: WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
    """The endpoint object; ``secret`` only in the create and rotate answers."""
    out = {
        "id": e.id, "object": "webhook_endpoint", "url": e.url, "description": e.description,
        "events": list(e.events or []), "enabled": e.enabled, "livemode": e.livemode,
        "disabled_reason": e.disabled_reason, "disabled_at": isoformat(e.disabled_at),
        "failing_since": isoformat(e.failing_since),
        "previous_secret_expires_at": _future(e.previous_secret_expires_at),
        "created_at": isoformat(e.created_at), "updated_at": isoformat(e.updated_at),
    }
    if secret is not None:
        out["secret"] = secret
    return out


def _future(value):
    return isoformat(value) if value is not None and value > utcnow() else None


def serialize_event(ev: Event) -> dict[str, Any]:
    return {"id": ev.id, "object": "event", "type": ev.type, "livemode": ev.livemode,
            "created_at": isoformat(ev.created_at), "data": ev.data}


def serialize_attempt(a: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": a.number, "url": a.url, "sent_at": isoformat(a.sent_at),
        "duration_ms": a.duration_ms, "status_code": a.status_code,
        "succeeded": a.succeeded,
        "response_body": a.response_body,
        "error": a.error if a.finished else None,
        "in_progress": not a.finished,
    }


def serialize_delivery(d: WebhookDelivery,
                       attempts: Iterable[WebhookAttempt] = ()) -> dict[str, Any]:
    return {
        "id": d.id, "object": "webhook_delivery", "event": d.event_id, "endpoint": d.endpoint_id,
        "status": d.status, "redelivery": d.redelivery, "attempt_count": d.attempts,
        "next_attempt_at": (isoformat(d.next_attempt_at)
                            if d.status == DeliveryStatus.PENDING else None),
        "last_error": d.last_error, "livemode": d.livemode,
        "created_at": isoformat(d.created_at), "completed_at": isoformat(d.completed_at),
        "attempts": [serialize_attempt(a) for a in attempts],
    }
