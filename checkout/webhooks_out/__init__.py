"""Webhooks to merchants (api.md "Webhooks to the merchant"): Standard Webhooks
signatures, at-least-once delivery retried for about three days, a log of every
attempt, redelivery.

``create_app`` wires it in: ``deliveries.fan_out`` listens to every new event (one
delivery per matching enabled endpoint, in the event's transaction), and the sweeper
runs ``jobs.sweep_deliveries`` (re-enqueue lost deliveries) and
``jobs.purge_events_hourly`` (retention).
"""
