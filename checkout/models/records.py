"""Append-only records: the payment timeline, merchant events, raw gateway
notifications and idempotency records."""
from datetime import datetime

from sqlalchemy import (BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow
from .types import JSONType


class PaymentEvent(db.Model):
    """One line of a checkout's timeline. Rows are only ever inserted."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    checkout_id: Mapped[str] = mapped_column(ForeignKey("checkouts.id"), index=True)
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    type: Mapped[str] = mapped_column(String(48))
    source: Mapped[str] = mapped_column(String(24))  # api, shopper, webhook, poll, return, job
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    data: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Event(db.Model):
    """A merchant-facing event (``evt_``), immutable, created in the transaction it reports."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_merchant_list", "merchant_id", "livemode", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column()
    type: Mapped[str] = mapped_column(String(48))
    object_id: Mapped[str] = mapped_column(String(40), index=True)
    data: Mapped[dict] = mapped_column(JSONType)
    # Indexed alone too: the retention purge scans by age across merchants.
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class GatewayNotification(db.Model):
    """A notification from a gateway, stored raw before anything acts on it."""

    __tablename__ = "gateway_notifications"
    __table_args__ = (UniqueConstraint("gateway_account_id", "dedup_key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    gateway: Mapped[str] = mapped_column(String(32))
    gateway_account_id: Mapped[int] = mapped_column(ForeignKey("gateway_accounts.id"), index=True)
    # What makes two deliveries the same provider event (reference + reported status...).
    dedup_key: Mapped[str] = mapped_column(String(200))
    headers: Mapped[dict] = mapped_column(JSONType)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(48))
    error: Mapped[str | None] = mapped_column(Text)


class IdempotencyRecord(db.Model):
    """The first response to a POST with an Idempotency-Key, replayed for 24 h at least."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
