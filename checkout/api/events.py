"""Events: list, retrieve, the deliveries of an event (every attempt logged), and
redelivery of an event to one endpoint. Events are kept at least 30 days.

Delivery order is not guaranteed (retries overtake each other): every payload carries
the object's ``status`` and ``updated_at``; receivers compare them before acting.
"""
from flask import g, request

from checkout.events import EVENT_TYPES
from checkout.extensions import db
from checkout.models import Event, WebhookAttempt, WebhookDelivery
from checkout.webhooks_out import endpoints as svc
from checkout.webhooks_out.serialize import serialize_delivery, serialize_event

from .blueprint import bp
from .checkouts import check_query
from .common import get_owned, invalid, json_body, list_response, not_found, paginate
from .idempotency import commit_response, idempotent

MAX_DELIVERIES = 100


def _type_filter(value):
    """``checkout.paid`` or a family such as ``checkout.*``."""
    if value.endswith(".*"):
        prefix = value[:-1]
        if not any(t.startswith(prefix) for t in EVENT_TYPES):
            raise invalid(f"No event type matches '{value[:64]}'.", "type")
        return Event.type.startswith(prefix, autoescape=True)
    if value not in EVENT_TYPES:
        raise invalid(f"Unknown event type '{value[:64]}'. Known types: "
                      f"{', '.join(EVENT_TYPES)}.", "type", code="event_type_unknown")
    return Event.type == value


def _get(event_id):
    return get_owned(Event, event_id, "event")


@bp.get("/events")
def list_events():
    check_query({"type", "limit", "starting_after"})
    filters = []
    if request.args.get("type") is not None:
        filters.append(_type_filter(request.args["type"]))
    caller = g.caller
    rows, has_more = paginate(Event, caller.merchant_id, caller.livemode, filters)
    return list_response([serialize_event(e) for e in rows], has_more)


@bp.get("/events/<event_id>")
def retrieve_event(event_id):
    return serialize_event(_get(event_id))


@bp.get("/events/<event_id>/deliveries")
def list_event_deliveries(event_id):
    check_query(set())
    event = _get(event_id)
    rows = db.session.execute(
        db.select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(MAX_DELIVERIES + 1)).scalars().all()
    rows, has_more = rows[:MAX_DELIVERIES], len(rows) > MAX_DELIVERIES
    attempts = {}
    if rows:
        for a in db.session.execute(
                db.select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_([d.id for d in rows]))
                .order_by(WebhookAttempt.number, WebhookAttempt.id)).scalars():
            attempts.setdefault(a.delivery_id, []).append(a)
    return list_response([serialize_delivery(d, attempts.get(d.id, ())) for d in rows],
                         has_more)


@bp.post("/events/<event_id>/redeliver")
@idempotent
def redeliver_event(event_id):
    data = json_body()
    for name in data:
        if name != "endpoint":
            raise invalid(f"Unknown parameter '{str(name)[:64]}'.", str(name)[:64],
                          code="parameter_unknown")
    endpoint_id = data.get("endpoint")
    if not isinstance(endpoint_id, str) or not endpoint_id:
        raise invalid("endpoint is required: the id of a webhook endpoint (we_...).",
                      "endpoint", code="parameter_missing")
    event = _get(event_id)
    caller = g.caller
    endpoint = svc.get_endpoint(caller.merchant_id, caller.livemode, endpoint_id)
    if endpoint is None:
        raise not_found("webhook endpoint", endpoint_id, param="endpoint")
    try:
        delivery, created = svc.redeliver_event(event, endpoint)
    except svc.EndpointInputError as exc:
        raise invalid(exc.message, exc.param, code=exc.code) from exc
    return commit_response(serialize_delivery(delivery), 201 if created else 200)
