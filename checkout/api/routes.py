"""Imports every API resource module so their views register on the blueprint."""
from . import checkouts, payments, refunds, webhook_endpoints, events, openapi  # noqa: F401
