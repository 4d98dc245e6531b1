"""Signed checkout links: GET /pay/<merchant_public_id>?...&sig=... (api.md)."""
from flask import Blueprint

bp = Blueprint("links", __name__)
