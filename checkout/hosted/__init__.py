"""The hosted checkout pages shoppers see."""
from flask import Blueprint

bp = Blueprint("hosted", __name__)
