"""Webhooks to merchants: endpoints, one delivery per (event, endpoint), and the log of
every attempt. The database is the record of what is due (``next_attempt_at``); the
queue only carries hints that something is due."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.timeutil import utcnow
from checkout.extensions import db

from .types import JSONType


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


DELIVERY_STATUSES = tuple(DeliveryStatus)


class WebhookEndpoint(db.Model):
    """A merchant's URL (``we_``) receiving signed events of one mode. Secrets are
    encrypted at rest (secretbox); after a rotation the previous secret keeps signing
    until ``previous_secret_expires_at``. Deleting sets ``deleted_at`` (the delivery log
    of past events keeps pointing at it)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_merchant_list", "merchant_id", "livemode",
                            "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    # Event types, or ["*"] for all of them (present and future).
    events: Mapped[list] = mapped_column(JSONType, default=lambda: ["*"])
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Failure tracking: the first failed attempt since the last success.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Changed by the merchant (not by delivery bookkeeping).
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebhookDelivery(db.Model):
    """One event to one endpoint (``wd_``): pending until a 2xx (succeeded) or the end
    of the retry schedule (failed); canceled when its endpoint is deleted. A redelivery
    is a new row with ``redelivery`` set; the first delivery of an event to an endpoint
    is unique."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("uq_webhook_deliveries_first", "event_id", "endpoint_id", unique=True,
              postgresql_where=text("NOT redelivery"), sqlite_where=text("NOT redelivery")),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the next attempt is due. While an attempt is in flight: the end of its lease
    # (a worker that dies mid-send leaves the row due again, for the sweeper).
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebhookAttempt(db.Model):
    """One HTTP request of a delivery. Written when the attempt starts; completed with
    its outcome (an attempt left without one was cut short: the worker stopped)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2000))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)  # the first KB at most
    error: Mapped[str | None] = mapped_column(String(500))
