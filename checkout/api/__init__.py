"""The merchant API (api.md), under /api/v1: every resource module adds its views to
the one blueprint (``blueprint.bp``); ``ratelimit`` authenticates and rate-limits every
request before any view runs."""
from . import checkouts, events, openapi, payments, ratelimit, refunds, webhook_endpoints  # noqa: F401
from .blueprint import bp

__all__ = ["bp"]
