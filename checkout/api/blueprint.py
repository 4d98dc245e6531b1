"""The API blueprint, under /api/v1. JSON only; CSRF does not apply (Bearer auth)."""
from flask import Blueprint

from checkout.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
