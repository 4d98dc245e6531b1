"""Merchants, their users, API keys and gateway accounts."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.timeutil import utcnow
from checkout.extensions import db

from .types import JSONType


class Merchant(db.Model):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # HMAC key of signed links and return redirects, encrypted at rest (secretbox).
    link_secret_encrypted: Mapped[str] = mapped_column(Text)
    # Hosts a return_url / cancel_url may point at.
    return_hosts: Mapped[list] = mapped_column(JSONType, default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MerchantUser(db.Model):
    __tablename__ = "merchant_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ApiKey(db.Model):
    """A secret API key, stored as its SHA-256 (keys are 190+ random bits: no salt needed)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, to recognise a key in lists ("sk_test_4f9a...").
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class GatewayAccount(db.Model):
    """A merchant's account at one gateway, in one mode; credentials encrypted at rest."""

    __tablename__ = "gateway_accounts"
    __table_args__ = (UniqueConstraint("merchant_id", "gateway", "livemode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(32))
    livemode: Mapped[bool] = mapped_column(Boolean)
    # Unguessable path token of our incoming-notification URL for this account.
    webhook_token: Mapped[str] = mapped_column(String(64), unique=True)
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    # Method codes this merchant may offer through this account ("mtn_bj", "cod", ...).
    methods: Mapped[list] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
