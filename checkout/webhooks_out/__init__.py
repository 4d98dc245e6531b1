"""Webhooks to merchants (api.md "Webhooks to the merchant"): Standard Webhooks
signatures, at-least-once delivery retried for about three days, a log of every
attempt, redelivery.

Importing this package registers the fan-out listener on ``events.on_event`` (every
event creates, in its own transaction, one delivery per matching enabled endpoint) and
the sweepers on ``jobs.register_sweeper`` (re-enqueue lost deliveries; purge old
events).
"""
from . import deliveries, jobs  # noqa: F401  (registers the listener and the sweepers)
