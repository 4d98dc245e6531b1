"""Checkouts, payment attempts, their timeline and refunds."""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.timeutil import utcnow
from checkout.extensions import db

from .types import JSONType


class Checkout(db.Model):
    __tablename__ = "checkouts"
    __table_args__ = (
        # An order has at most one live checkout and at most one paid checkout, per mode.
        Index("uq_checkouts_active_order", "merchant_id", "livemode", "order_id", unique=True,
              postgresql_where=text("status IN ('open', 'processing')"),
              sqlite_where=text("status IN ('open', 'processing')")),
        Index("uq_checkouts_paid_order", "merchant_id", "livemode", "order_id", unique=True,
              postgresql_where=text("status = 'paid'"), sqlite_where=text("status = 'paid'")),
        Index("ix_checkouts_merchant_list", "merchant_id", "livemode", "created_at", "id"),
        Index("ix_checkouts_order", "merchant_id", "livemode", "order_id"),
        Index("ix_checkouts_expiry", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    order_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str | None] = mapped_column(String(500))
    country: Mapped[str | None] = mapped_column(String(2))
    customer: Mapped[dict | None] = mapped_column(JSONType)
    methods: Mapped[list | None] = mapped_column(JSONType)
    return_url: Mapped[str | None] = mapped_column(String(2000))
    cancel_url: Mapped[str | None] = mapped_column(String(2000))
    metadata_: Mapped[dict | None] = mapped_column("metadata", JSONType)
    locale: Mapped[str | None] = mapped_column(String(8))
    # The signature of the signed link that created this checkout: once the checkout is
    # replaced, that link is spent (an older link cannot replace a newer checkout).
    link_signature: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # payments.state.CheckoutStatus
    # The successful payment attempt, once there is one.
    payment_id: Mapped[str | None] = mapped_column(String(40))
    # The newest attempt (set when one starts): the hosted page joins it by key.
    latest_payment_id: Mapped[str | None] = mapped_column(String(40))
    # Paid by an attempt that was started before expiry but succeeded after it.
    paid_late: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Payment(db.Model):
    """One attempt to pay a checkout through one gateway and method."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_merchant_list", "merchant_id", "livemode", "created_at", "id"),
        Index("ix_payments_provider_ref", "gateway", "provider_reference"),
        Index("ix_payments_pending", "status", "next_poll_at"),
        Index("ix_payments_reconcile", "reconcile_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    checkout_id: Mapped[str] = mapped_column(ForeignKey("checkouts.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    gateway: Mapped[str] = mapped_column(String(32))
    gateway_account_id: Mapped[int] = mapped_column(ForeignKey("gateway_accounts.id"))
    method: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164; masked on every output
    provider_reference: Mapped[str | None] = mapped_column(String(128))
    # The provider's transaction id as the payer's receipt shows it (M-Pesa receipt).
    provider_receipt: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # payments.state.PaymentStatus
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    # A next step for the shopper: {"type": "redirect", "url": ...} or {"type": "otp"}.
    next_action: Mapped[dict | None] = mapped_column(JSONType)
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_late: Mapped[bool] = mapped_column(Boolean, default=False)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    poll_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime)
    # An attempt that ended without the provider's final word (deadline, abandoned) is
    # asked again on a slow schedule (jobs.reconcile): when, and how many times so far.
    reconcile_at: Mapped[datetime | None] = mapped_column(DateTime)
    reconcile_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Refund(db.Model):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # payments.state.RefundStatus
    reason: Mapped[str | None] = mapped_column(String(500))
    provider_reference: Mapped[str | None] = mapped_column(String(128))
    failure_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


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
