"""Merchant-facing events (``evt_``): immutable rows that webhooks deliver."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.timeutil import utcnow
from checkout.extensions import db

from .types import JSONType


class Event(db.Model):
    """A merchant-facing event (``evt_``), immutable, created in the transaction it reports."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_merchant_list", "merchant_id", "livemode", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column()
    type: Mapped[str] = mapped_column(String(48))
    object_id: Mapped[str] = mapped_column(String(40), index=True)
    data: Mapped[dict] = mapped_column(JSONType)
    # Indexed alone too: the retention purge scans by age across merchants.
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
