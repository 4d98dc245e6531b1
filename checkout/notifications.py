"""Incoming gateway notifications: POST /webhooks/<gateway>/<account token>."""
from flask import Blueprint

from .extensions import csrf

bp = Blueprint("notifications", __name__)
csrf.exempt(bp)
