"""Chapa (Ethiopia): its hosted checkout page (cards, telebirr, M-Pesa, CBE Birr...)."""
from .adapter import Chapa

__all__ = ["Chapa"]
