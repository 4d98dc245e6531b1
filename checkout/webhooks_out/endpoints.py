"""Webhook endpoints of a merchant: create, update, delete, rotate the secret, and
redeliver events. Functions flush; the view commits.

Invariants: an endpoint belongs to one merchant and one mode (its key's); its URL
passed the SSRF check of that mode when saved; its secret is stored encrypted and shown
only by ``create_endpoint`` and ``rotate_secret``.
"""
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app

from checkout.core import secretbox
from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.events import EVENT_TYPES
from checkout.extensions import db
from checkout.models import Event, WebhookDelivery, WebhookEndpoint
from checkout.models.webhooks import DeliveryStatus

from . import deliveries, ssrf
from .signing import generate_secret

MAX_ENDPOINTS = 16          # per merchant and mode
PREVIOUS_SECRET_VALID = timedelta(hours=24)
REDELIVER_BATCH = 1000


class EndpointInputError(ValueError):
    """Bad input for an endpoint or a redelivery (a 400)."""

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


def parse_events(value: object) -> list[str]:
    """A validated, de-duplicated list of event types; ``["*"]`` means all (present and
    future). Raises EndpointInputError."""
    if value is None:
        return ["*"]
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) for v in value):
        raise EndpointInputError("parameter_invalid",
                                 "events must be a non-empty list of event types, or [\"*\"].",
                                 "events")
    unknown = [v for v in value if v != "*" and v not in EVENT_TYPES]
    if unknown:
        raise EndpointInputError("event_type_unknown",
                                 f"Unknown event type '{unknown[0][:64]}'. Known types: "
                                 f"{', '.join(EVENT_TYPES)} (or \"*\" for all).", "events")
    if "*" in value:
        return ["*"]
    return sorted(set(value), key=EVENT_TYPES.index)


def check_url(url: str, livemode: bool) -> str:
    """The URL, if this mode may send webhooks to it (see ``ssrf``). A test-mode URL
    whose host does not resolve yet is accepted (it is checked again at every send)."""
    try:
        ssrf.pin(url, livemode, current_app.config, require_resolution=livemode)
    except ssrf.UnsafeUrl as exc:
        raise EndpointInputError(exc.code, exc.message, "url") from None
    return url


def _description(value):
    if value is not None and (not isinstance(value, str) or len(value) > 500):
        raise EndpointInputError("parameter_invalid",
                                 "description must be a string of at most 500 characters.",
                                 "description")
    return value


def create_endpoint(merchant_id: int, livemode: bool, url: str, events: list[str] | None = None,
                    description: str | None = None) -> tuple[WebhookEndpoint, str]:
    """Create an enabled endpoint; returns ``(endpoint, secret)``. Raises
    EndpointInputError (bad URL or events, too many endpoints)."""
    events = parse_events(events)
    description = _description(description)
    url = check_url(url, livemode)
    count = db.session.execute(
        db.select(db.func.count()).select_from(WebhookEndpoint).where(
            WebhookEndpoint.merchant_id == merchant_id, WebhookEndpoint.livemode == livemode,
            WebhookEndpoint.deleted_at.is_(None))).scalar_one()
    if count >= MAX_ENDPOINTS:
        raise EndpointInputError("too_many_endpoints",
                                 f"At most {MAX_ENDPOINTS} webhook endpoints per mode.")
    secret = generate_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=new_id("we"), merchant_id=merchant_id, livemode=livemode, url=url,
        description=description, events=events, enabled=True,
        secret_encrypted=secretbox.encrypt(secret), created_at=now, updated_at=now)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint, secret


def get_endpoint(merchant_id: int, livemode: bool, endpoint_id: str,
                 lock: bool = False) -> WebhookEndpoint | None:
    """The caller's live (not deleted) endpoint, or None."""
    q = db.select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.merchant_id == merchant_id,
        WebhookEndpoint.livemode == livemode, WebhookEndpoint.deleted_at.is_(None))
    if lock:
        q = q.with_for_update(key_share=True).execution_options(populate_existing=True)
    return db.session.execute(q).scalar_one_or_none()


def update_endpoint(endpoint: WebhookEndpoint, data: Mapping[str, Any]) -> WebhookEndpoint:
    """Apply ``url``, ``events``, ``description`` and ``enabled`` from ``data``.
    Disabling fails its pending deliveries (redeliverable); re-enabling clears the
    failure record. Raises EndpointInputError."""
    known = {"url", "events", "description", "enabled"}
    for name in data:
        if name not in known:
            raise EndpointInputError("parameter_unknown", f"Unknown parameter '{name[:64]}'.",
                                     name[:64])
    if "events" in data:
        endpoint.events = parse_events(data["events"])
    if "description" in data:
        endpoint.description = _description(data["description"])
    if "url" in data:
        endpoint.url = check_url(data["url"], endpoint.livemode)
    if "enabled" in data:
        enabled = data["enabled"]
        if not isinstance(enabled, bool):
            raise EndpointInputError("parameter_invalid", "enabled must be true or false.",
                                     "enabled")
        if enabled and not endpoint.enabled:
            endpoint.failing_since = endpoint.disabled_reason = endpoint.disabled_at = None
        elif not enabled and endpoint.enabled:
            endpoint.disabled_reason, endpoint.disabled_at = "disabled_by_merchant", utcnow()
            deliveries.close_pending(endpoint.id, DeliveryStatus.FAILED, "endpoint disabled",
                                     utcnow())
        endpoint.enabled = enabled
    endpoint.updated_at = utcnow()
    db.session.flush()
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint (kept, hidden, for the delivery log of past events) and
    cancel its pending deliveries (one being sent right now is canceled by its job)."""
    now = utcnow()
    endpoint.deleted_at = endpoint.updated_at = now
    endpoint.enabled = False
    deliveries.close_pending(endpoint.id, DeliveryStatus.CANCELED, "endpoint deleted", now)
    db.session.flush()


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """Give the endpoint a new secret; the current one stays valid (deliveries carry
    both signatures) for 24 hours. A second rotation within those hours ends the
    oldest secret at once. Returns the new secret."""
    now = utcnow()
    secret = generate_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_VALID
    endpoint.secret_encrypted = secretbox.encrypt(secret)
    endpoint.updated_at = now
    db.session.flush()
    return secret


def redeliver_event(event: Event, endpoint: WebhookEndpoint) -> tuple[WebhookDelivery, bool]:
    """Send ``event`` again to ``endpoint`` (same ``webhook-id``). A delivery of it to
    that endpoint still pending is returned instead of adding another. Returns
    ``(delivery, created)``; raises EndpointInputError if the endpoint is disabled."""
    _require_enabled(endpoint)
    pending = db.session.execute(
        db.select(WebhookDelivery).where(
            WebhookDelivery.event_id == event.id, WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.PENDING)
        .order_by(WebhookDelivery.created_at.desc()).limit(1)).scalar_one_or_none()
    if pending is not None:
        return pending, False
    return deliveries.create_delivery(event.id, endpoint, redelivery=True), True


def redeliver_failed(endpoint: WebhookEndpoint, since: datetime,
                     limit: int = REDELIVER_BATCH) -> tuple[int, bool]:
    """Redeliver every event whose delivery to ``endpoint`` failed since ``since`` and
    that has no succeeded or pending delivery to it: at most ``limit`` per call (call
    again while ``has_more``; repeats add nothing). Returns ``(count, has_more)``."""
    _require_enabled(endpoint)
    settled = db.select(WebhookDelivery.event_id).where(
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.status.in_((DeliveryStatus.SUCCEEDED, DeliveryStatus.PENDING)))
    rows = db.session.execute(
        db.select(WebhookDelivery.event_id, db.func.min(WebhookDelivery.created_at))
        .where(WebhookDelivery.endpoint_id == endpoint.id,
               WebhookDelivery.status == DeliveryStatus.FAILED,
               WebhookDelivery.created_at >= since, WebhookDelivery.event_id.not_in(settled))
        .group_by(WebhookDelivery.event_id)
        .order_by(db.func.min(WebhookDelivery.created_at)).limit(limit + 1)).all()
    for row in rows[:limit]:
        deliveries.create_delivery(row.event_id, endpoint, redelivery=True)
    db.session.flush()
    return min(len(rows), limit), len(rows) > limit


def _require_enabled(endpoint):
    if not endpoint.enabled:
        raise EndpointInputError("endpoint_disabled",
                                 "This endpoint is disabled: enable it first "
                                 "(POST {\"enabled\": true}).", "endpoint")


def parse_since(value: object) -> datetime:
    """An ISO 8601 time (naive = UTC) as a naive UTC datetime; raises EndpointInputError."""
    if not isinstance(value, str):
        raise EndpointInputError("parameter_missing" if value is None else "parameter_invalid",
                                 "since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.",
                                 "since")
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise EndpointInputError("parameter_invalid",
                                 "since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.",
                                 "since") from None
    try:
        if when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:   # 0001-01-01T00:00:00+01:00 is before the first UTC instant
        raise EndpointInputError("parameter_invalid", "since is out of range.",
                                 "since") from None
    return when
