"""Incoming gateway notifications, stored raw before anything acts on them."""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.timeutil import utcnow
from checkout.extensions import db

from .types import JSONType


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
