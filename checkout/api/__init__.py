"""The merchant API (api.md), under /api/v1: every resource module adds its views to
the one blueprint (``blueprint.bp``); ``ratelimit`` authenticates and rate-limits every
request before any view runs."""
from . import (  # noqa: F401
    checkouts,
    events,
    methods,
    openapi,
    payments,
    ratelimit,
    refunds,
    webhook_endpoints,
)
from .blueprint import bp

__all__ = ["bp"]
