"""Incoming provider notifications (gateways' webhooks to us; not to be confused with
``webhooks_out``, our webhooks to merchants): ``receive`` stores them raw and answers at
once, ``process`` acts on them in a job, confirming with the provider first."""
from .receive import bp

__all__ = ["bp"]
