"""FeexPay (Benin and francophone West Africa): mobile money per network."""
from .adapter import FeexPay

__all__ = ["FeexPay"]
