"""The hosted checkout pages shoppers see: the method picker and the pay form
(``views``), progress and return (``progress``), static assets (``assets``)."""
from . import assets, progress, views  # noqa: F401  (views register on bp)
from .blueprint import bp

__all__ = ["bp"]
