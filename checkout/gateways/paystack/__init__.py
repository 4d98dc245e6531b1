"""Paystack (NG, GH, KE, ZA, CI): cards on its hosted page, mobile money by charge."""
from .adapter import Paystack

__all__ = ["Paystack"]
