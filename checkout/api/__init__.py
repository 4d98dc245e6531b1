"""The merchant API (api.md), under /api/v1. JSON only; CSRF does not apply (Bearer auth)."""
from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from . import routes  # noqa: E402,F401  (registers the views on bp)
