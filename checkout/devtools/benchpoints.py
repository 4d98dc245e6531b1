"""Bare endpoints for the benchmark's ceilings (bench/http_bench.py), registered only when
BENCH_ENDPOINTS is set: what the framework alone does on this box, on the same server."""
from flask import Blueprint, abort, render_template, request

from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import csrf, db
from checkout.models import Checkout
from checkout.payments.state import CheckoutStatus

bp = Blueprint("bench", __name__, url_prefix="/_bench")
csrf.exempt(bp)


@bp.post("/insert")
def insert():
    """One ORM insert of a checkout-like row and a commit."""
    body = request.get_json(silent=True) or {}
    row = Checkout(id=new_id("cs"), merchant_id=int(body.get("merchant_id", 1)), livemode=False,
                   order_id=new_id("bench"), amount=5000, currency="XOF",
                   status=CheckoutStatus.PAID,
                   expires_at=utcnow(), created_at=utcnow(), updated_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return {"id": row.id}, 201


@bp.get("/render/<checkout_id>")
def render(checkout_id):
    """One lookup by primary key and a trivial template render."""
    row = db.session.get(Checkout, checkout_id)
    if row is None:
        abort(404)
    return render_template("bench.html", c=row)
