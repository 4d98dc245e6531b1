"""M-Pesa Mozambique (Vodacom "M-Pesa API", IPG v1x): blocking C2B push, status query,
reversals and B2C payouts."""
from .adapter import MpesaMz

__all__ = ["MpesaMz"]
