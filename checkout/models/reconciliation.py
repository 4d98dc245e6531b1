"""What the daily comparison of a provider's transaction list with our payments found."""
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.timeutil import utcnow
from checkout.extensions import db

from .types import JSONType


class ReconciliationDifference(db.Model):
    """One difference between a provider's list and ours for one account and UTC day
    (jobs.reconcile_lists). Recorded once: a re-run of the day adds nothing."""

    __tablename__ = "reconciliation_differences"
    __table_args__ = (
        UniqueConstraint("gateway_account_id", "day", "kind", "provider_reference",
                         name="uq_reconciliation_differences_once"),
        Index("ix_reconciliation_differences_day", "day", "merchant_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", name="fk_reconciliation_differences_merchant"))
    gateway_account_id: Mapped[int] = mapped_column(
        ForeignKey("gateway_accounts.id", name="fk_reconciliation_differences_account"))
    gateway: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    # missing_here | missing_there | status_differs | amount_differs
    kind: Mapped[str] = mapped_column(String(24))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    # The provider's reference (ours when only we know the payment: its reference, else
    # its id).
    provider_reference: Mapped[str] = mapped_column(String(128))
    ours: Mapped[dict | None] = mapped_column(JSONType)     # {status, amount, currency}
    theirs: Mapped[dict | None] = mapped_column(JSONType)   # {status, amount, currency}
    found_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
