"""M-Pesa Kenya (Safaricom Daraja): STK push, STK query, callbacks, reversals."""
from .adapter import MpesaKenya

__all__ = ["MpesaKenya"]
