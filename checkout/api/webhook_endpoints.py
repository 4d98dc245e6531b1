"""Webhook endpoints: create, list, retrieve, update, delete, rotate the secret,
redeliver failed deliveries (api.md "Webhooks to the merchant").

The mode of the key is the mode of the endpoint. Live-mode URLs must be https and
resolve to public addresses only; test-mode URLs may also target loopback
(``http://127.0.0.1:8000/hooks``, ``http://localhost/...``) so that developers can
receive test events on their own machine (see ``webhooks_out.ssrf``).
"""
from flask import g

from checkout.extensions import db
from checkout.models import WebhookEndpoint
from checkout.webhooks_out import endpoints as svc
from checkout.webhooks_out.serialize import serialize_endpoint

from .blueprint import bp
from .checkouts import check_query
from .common import invalid, json_body, list_response, not_found, paginate, storable
from .idempotency import commit_response, idempotent


def _input_error(exc):
    return invalid(exc.message, exc.param, code=exc.code)


def _only(data, allowed):
    for name in data:
        if name not in allowed:
            raise invalid(f"Unknown parameter '{str(name)[:64]}'.", str(name)[:64],
                          code="parameter_unknown")


def _get(endpoint_id, lock=False):
    caller = g.caller
    if not storable(endpoint_id):
        raise not_found("webhook endpoint", "")
    endpoint = svc.get_endpoint(caller.merchant_id, caller.livemode, endpoint_id, lock=lock)
    if endpoint is None:
        raise not_found("webhook endpoint", endpoint_id)
    return endpoint


@bp.post("/webhook_endpoints")
@idempotent
def create_webhook_endpoint():
    data = json_body()
    _only(data, {"url", "events", "description"})
    if "url" not in data:
        raise invalid("url is required.", "url", code="parameter_missing")
    caller = g.caller
    try:
        endpoint, secret = svc.create_endpoint(caller.merchant_id, caller.livemode, data["url"],
                                               data.get("events"), data.get("description"))
    except svc.EndpointInputError as exc:
        raise _input_error(exc) from exc
    return commit_response(serialize_endpoint(endpoint, secret), 201)


@bp.get("/webhook_endpoints")
def list_webhook_endpoints():
    check_query({"limit", "starting_after"})
    caller = g.caller
    rows, has_more = paginate(WebhookEndpoint, caller.merchant_id, caller.livemode,
                              [WebhookEndpoint.deleted_at.is_(None)])
    return list_response([serialize_endpoint(e) for e in rows], has_more)


@bp.get("/webhook_endpoints/<endpoint_id>")
def retrieve_webhook_endpoint(endpoint_id):
    return serialize_endpoint(_get(endpoint_id))


@bp.post("/webhook_endpoints/<endpoint_id>")
@idempotent
def update_webhook_endpoint(endpoint_id):
    data = json_body()
    endpoint = _get(endpoint_id, lock=True)
    try:
        svc.update_endpoint(endpoint, data)
    except svc.EndpointInputError as exc:
        db.session.rollback()
        raise _input_error(exc) from exc
    return commit_response(serialize_endpoint(endpoint), 200)


@bp.delete("/webhook_endpoints/<endpoint_id>")
def delete_webhook_endpoint(endpoint_id):
    endpoint = _get(endpoint_id, lock=True)
    svc.delete_endpoint(endpoint)
    db.session.commit()
    return {"id": endpoint.id, "object": "webhook_endpoint", "deleted": True}


@bp.post("/webhook_endpoints/<endpoint_id>/rotate_secret")
@idempotent
def rotate_webhook_secret(endpoint_id):
    endpoint = _get(endpoint_id, lock=True)
    secret = svc.rotate_secret(endpoint)
    return commit_response(serialize_endpoint(endpoint, secret), 200)


@bp.post("/webhook_endpoints/<endpoint_id>/redeliver_failed")
@idempotent
def redeliver_failed(endpoint_id):
    data = json_body()
    _only(data, {"since"})
    endpoint = _get(endpoint_id)
    try:
        since = svc.parse_since(data.get("since"))
        count, has_more = svc.redeliver_failed(endpoint, since)
    except svc.EndpointInputError as exc:
        db.session.rollback()
        raise _input_error(exc) from exc
    return commit_response({"object": "redelivery", "endpoint": endpoint.id,
                            "since": data["since"], "count": count, "has_more": has_more}, 200)
