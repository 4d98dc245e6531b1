"""Payment gateways: one adapter per provider behind the interface of ``base.py``.

Adapters know HTTP and their provider's formats, never Flask or the database. The
registry (``registry.py``) lists them; the rest of the product asks an adapter what it
can do (its attributes) instead of comparing gateway names.
"""
from .registry import all_gateways, all_methods, get_gateway

__all__ = ["all_gateways", "all_methods", "get_gateway"]
