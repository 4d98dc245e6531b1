"""OpenAPI fragment: webhook endpoints, events and their deliveries."""
from checkout.events import EVENT_TYPES
from checkout.webhooks_out.endpoints import MAX_ENDPOINTS
from checkout.webhooks_out.schedule import RETRY_SCHEDULE

from . import (
    IDEMPOTENCY_KEY,
    TIMESTAMP,
    body,
    errors,
    id_schema,
    list_of,
    nullable,
    obj,
    ok,
    paging,
    path_id,
    ref,
)

_STR = {"type": "string"}
_URL = {"type": "string", "maxLength": 2000, "description":
        "Where events are POSTed. Live mode: https, resolving only to public addresses "
        "(never loopback, private, link-local, CGNAT, multicast, reserved or cloud "
        "metadata addresses). Test mode: http or https, and loopback is allowed "
        "(http://127.0.0.1:8000/hooks, http://localhost/...) so that you can receive test "
        "events on your own machine."}
_EVENTS = {"type": "array", "minItems": 1, "items": {"enum": ["*", *EVENT_TYPES]},
           "description": "Event types to receive; [\"*\"] (the default) is every type, "
                          "including those added later."}
_SCHEDULE = ", ".join(f"{s // 3600} h" if s >= 3600 else f"{s // 60} min" if s >= 60
                      else f"{s} s" for s in RETRY_SCHEDULE[1:])

_DESCRIPTION = (
    "Signed events POSTed to your endpoints in the Standard Webhooks format "
    "(https://www.standardwebhooks.com). Headers: `webhook-id` (the event id, `evt_...`, "
    "the same on every retry and redelivery: de-duplicate on it), `webhook-timestamp` "
    "(Unix seconds when sent: reject old ones), `webhook-signature` (`v1,<base64 "
    "HMAC-SHA256 of \"{webhook-id}.{webhook-timestamp}.{raw body}\">`, keyed by the "
    "base64-decoded part of your `whsec_...` secret; during a secret rotation several "
    "space-separated signatures, any one may match). Body: `{\"type\": ..., \"timestamp\": "
    "ISO 8601, \"data\": <the checkout or refund object>}`; verify the raw bytes before "
    "parsing them.\n\n"
    "Answer 2xx quickly: anything else (redirects included, which are not followed), or "
    "no answer within 3 s to connect and 10 s to respond, is retried: immediately, then "
    f"after {_SCHEDULE} (about three days, with up to 10 % jitter), then the delivery is "
    "failed. An endpoint with no successful delivery for three days is disabled "
    "(`enabled: false`, `disabled_reason: failing`); enable it again with "
    "`POST /webhook_endpoints/{id}` and resend what failed with `redeliver_failed`.\n\n"
    "Delivery is at least once and **order is not guaranteed**: every object carries its "
    "`status` and `updated_at` (or `completed_at`); compare them with what you have before "
    "acting. Events are kept 30 days.")

_ENDPOINT = obj({
    "id": id_schema("we"),
    "object": {"const": "webhook_endpoint"},
    "url": _URL,
    "description": nullable({"type": "string", "maxLength": 500}),
    "events": _EVENTS,
    "enabled": {"type": "boolean"},
    "livemode": {"type": "boolean", "description": "The mode of the key that created it."},
    "disabled_reason": {"enum": ["failing", "disabled_by_merchant", None]},
    "disabled_at": nullable(TIMESTAMP),
    "failing_since": nullable({**TIMESTAMP, "description":
                               "First failed attempt since the last success."}),
    "previous_secret_expires_at": nullable({**TIMESTAMP, "description":
                                            "Until then the secret before the last rotation "
                                            "also signs every delivery."}),
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "secret": {"type": "string", "pattern": "^whsec_[A-Za-z0-9+/=]+$", "description":
               "Only in the answers to create and rotate_secret: store it."},
}, optional=("secret",))

_ATTEMPT = obj({
    "number": {"type": "integer", "minimum": 1},
    "url": _STR,
    "sent_at": TIMESTAMP,
    "duration_ms": nullable({"type": "integer", "minimum": 0}),
    "status_code": nullable({"type": "integer", "description": "Your endpoint's answer."}),
    "succeeded": {"type": "boolean"},
    "response_body": nullable({"type": "string", "description": "Its first KB."}),
    "error": nullable({"type": "string", "description":
                       "Why no usable answer came (timeout, connection refused, redirect "
                       "not followed, address not allowed...)."}),
    "in_progress": {"type": "boolean"},
})

_DELIVERY = obj({
    "id": id_schema("wd"),
    "object": {"const": "webhook_delivery"},
    "event": id_schema("evt"),
    "endpoint": id_schema("we"),
    "status": {"enum": ["pending", "succeeded", "failed", "canceled"]},
    "redelivery": {"type": "boolean"},
    "attempt_count": {"type": "integer", "minimum": 0},
    "next_attempt_at": nullable(TIMESTAMP),
    "last_error": nullable(_STR),
    "livemode": {"type": "boolean"},
    "created_at": TIMESTAMP,
    "completed_at": nullable(TIMESTAMP),
    "attempts": {"type": "array", "items": ref("WebhookAttempt")},
})

_EVENT = obj({
    "id": id_schema("evt"),
    "object": {"const": "event"},
    "type": {"enum": list(EVENT_TYPES)},
    "livemode": {"type": "boolean"},
    "created_at": TIMESTAMP,
    "data": {"type": "object", "description": "The checkout (checkout.*, payment.*) or refund "
                                              "(refund.*) object as it was at the event."},
})

_WE_ID = path_id("id", "we", "The endpoint's id.")
_EVT_ID = path_id("id", "evt", "The event's id.")
_TAGS = ["Webhook endpoints"]


def _op(op_id, summary, responses, params=(), request=None, tags=_TAGS, description=None):
    out = {"operationId": op_id, "tags": tags, "summary": summary, "parameters": list(params),
           "responses": responses}
    if request is not None:
        out["requestBody"] = body(request)
    if description:
        out["description"] = description
    return out


OPENAPI = {
    "tags": [{"name": "Webhook endpoints", "description": _DESCRIPTION},
             {"name": "Events", "description": "What happened, kept 30 days, with the log of "
                                               "every delivery attempt."}],
    "paths": {
        "/webhook_endpoints": {
            "post": _op("createWebhookEndpoint", "Create a webhook endpoint",
                        {"201": ok("The endpoint, with its secret.", ref("WebhookEndpoint"),
                                   post=True), **errors(400, 409, 415)},
                        [IDEMPOTENCY_KEY], ref("WebhookEndpointCreate"),
                        description=f"At most {MAX_ENDPOINTS} per mode. Errors: "
                                    "`url_invalid`, `url_insecure`, `url_forbidden`, "
                                    "`url_unresolvable`, `event_type_unknown`."),
            "get": _op("listWebhookEndpoints", "List webhook endpoints",
                       {"200": ok("A page of endpoints.", ref("WebhookEndpointList")),
                        **errors(400)}, paging()),
        },
        "/webhook_endpoints/{id}": {
            "get": _op("retrieveWebhookEndpoint", "Retrieve a webhook endpoint",
                       {"200": ok("The endpoint.", ref("WebhookEndpoint")), **errors(404)},
                       [_WE_ID]),
            "post": _op("updateWebhookEndpoint", "Update a webhook endpoint",
                        {"200": ok("The endpoint.", ref("WebhookEndpoint"), post=True),
                         **errors(400, 404, 409, 415)}, [_WE_ID, IDEMPOTENCY_KEY],
                        ref("WebhookEndpointUpdate")),
            "delete": _op("deleteWebhookEndpoint", "Delete a webhook endpoint",
                          {"200": ok("Deleted; its pending deliveries are canceled.",
                                     ref("WebhookEndpointDeleted")), **errors(404)},
                          [_WE_ID]),
        },
        "/webhook_endpoints/{id}/rotate_secret": {"post": _op(
            "rotateWebhookEndpointSecret", "Rotate the signing secret",
            {"200": ok("The endpoint with its new secret.", ref("WebhookEndpoint"), post=True),
             **errors(400, 404, 409)}, [_WE_ID, IDEMPOTENCY_KEY],
            description="The previous secret keeps signing (a second signature) for 24 hours. "
                        "Rotating again within them ends the oldest secret at once.")},
        "/webhook_endpoints/{id}/redeliver_failed": {"post": _op(
            "redeliverFailedWebhooks", "Resend every failed delivery since a time",
            {"200": ok("How many events are being resent.", ref("Redelivery"), post=True),
             **errors(400, 404, 409, 415)}, [_WE_ID, IDEMPOTENCY_KEY], ref("RedeliverFailed"),
            description="Resends each event whose delivery to this endpoint failed since "
                        "`since` and that has no succeeded or pending delivery to it, at "
                        "most 1000 per call (repeat while `has_more`).")},
        "/events": {"get": _op(
            "listEvents", "List events",
            {"200": ok("A page of events.", ref("EventList")), **errors(400)},
            [{"name": "type", "in": "query", "required": False, "schema": _STR,
              "description": "An event type, or a family such as `checkout.*`."}, *paging()],
            tags=["Events"])},
        "/events/{id}": {"get": _op(
            "retrieveEvent", "Retrieve an event",
            {"200": ok("The event.", ref("Event")), **errors(404)}, [_EVT_ID], tags=["Events"])},
        "/events/{id}/deliveries": {"get": _op(
            "listEventDeliveries", "The deliveries of an event, with every attempt",
            {"200": ok("Newest first (at most 100).", ref("WebhookDeliveryList")),
             **errors(400, 404)}, [_EVT_ID], tags=["Events"])},
        "/events/{id}/redeliver": {"post": _op(
            "redeliverEvent", "Resend an event to one endpoint",
            {"201": ok("The new delivery (same webhook-id).", ref("WebhookDelivery"), post=True),
             "200": ok("A delivery of it to that endpoint was still pending: that one.",
                       ref("WebhookDelivery"), post=True),
             **errors(400, 404, 409, 415)}, [_EVT_ID, IDEMPOTENCY_KEY], ref("RedeliverEvent"),
            tags=["Events"])},
    },
    "components": {"schemas": {
        "WebhookEndpoint": _ENDPOINT,
        "WebhookEndpointCreate": obj({"url": _URL, "events": _EVENTS,
                                      "description": {"type": "string", "maxLength": 500}},
                                     optional=("events", "description")),
        "WebhookEndpointUpdate": obj({"url": _URL, "events": _EVENTS,
                                      "description": nullable({"type": "string",
                                                               "maxLength": 500}),
                                      "enabled": {"type": "boolean"}},
                                     optional=("url", "events", "description", "enabled")),
        "WebhookEndpointList": list_of(ref("WebhookEndpoint"), "Endpoints, newest first."),
        "WebhookEndpointDeleted": obj({"id": id_schema("we"),
                                       "object": {"const": "webhook_endpoint"},
                                       "deleted": {"const": True}}),
        "Event": _EVENT,
        "EventList": list_of(ref("Event"), "Events, newest first."),
        "WebhookAttempt": _ATTEMPT,
        "WebhookDelivery": _DELIVERY,
        "WebhookDeliveryList": list_of(ref("WebhookDelivery"), "Deliveries, newest first."),
        "RedeliverEvent": obj({"endpoint": id_schema("we")}),
        "RedeliverFailed": obj({"since": {**TIMESTAMP, "pattern": ".+",
                                          "description": "ISO 8601; without a zone, UTC."}}),
        "Redelivery": obj({"object": {"const": "redelivery"}, "endpoint": id_schema("we"),
                           "since": _STR, "count": {"type": "integer", "minimum": 0},
                           "has_more": {"type": "boolean"}}),
    }},
}
