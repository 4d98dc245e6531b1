"""FeexPay simulator controls, NOT part of FeexPay's API: ``<sim>/feexpay/_sim/...``.

Shops (FeexPay configures the webhook URL in its dashboard), inspection, forced outcomes, reset,
and the Wave/Orange payment page that ``payment_url`` points at.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template_string, request

from .models import FINAL
from .rules import ApiError
from .shapes import inspect_body
from .store import current_simulator, parse_shop

admin_bp = Blueprint("admin", __name__)


@admin_bp.errorhandler(ApiError)
def _refusal(exc: ApiError):
    return jsonify(exc.body()), exc.status


@admin_bp.put("/shops/<shop_id>")
def put_shop(shop_id: str):
    shop = parse_shop(shop_id, request.get_json(silent=True))
    created = current_simulator().put_shop(shop)
    return jsonify(shop.public()), 201 if created else 200


@admin_bp.get("/shops/<shop_id>")
def get_shop(shop_id: str):
    shop = current_simulator().get_shop(shop_id)
    if shop is None:
        raise ApiError(404, "Shop not found")
    return jsonify(shop.public()), 200


@admin_bp.get("/transactions")
def list_transactions():
    txs = current_simulator().transactions(request.args.get("shop"), inspect_body)
    return jsonify(txs), 200


@admin_bp.get("/transactions/<reference>")
def inspect_transaction(reference: str):
    return jsonify(current_simulator().render(reference, None, inspect_body)), 200


@admin_bp.post("/transactions/<reference>/complete")
def complete_transaction(reference: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("status") not in FINAL:
        raise ApiError(400, "status must be SUCCESSFUL or FAILED")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ApiError(400, "reason must be a string or null")
    sim = current_simulator()
    sim.complete(reference, body["status"], reason)
    return jsonify(sim.render(reference, None, inspect_body)), 200


@admin_bp.post("/reset")
def reset():
    current_simulator().reset()
    return jsonify(message="reset"), 200


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ label }} payment (FeexPay simulator)</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}button{margin-right:1rem}
</style></head><body>
<h1>{{ label }}</h1>
<p>FeexPay simulator &middot; {{ amount }} XOF from {{ phone }}</p>
<p>Reference: <code>{{ reference }}</code></p>
{% if awaiting %}<form method="post">
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="decline" id="decline">Decline</button>
</form>{% else %}<p id="status">Status: {{ status }}</p>{% endif %}
</body></html>"""


def _page_context(tx) -> dict:
    return {"label": tx.network.label, "amount": tx.request["amount"], "phone": tx.phone,
            "reference": tx.reference, "awaiting": tx.awaiting_shopper, "status": tx.status,
            "return_url": tx.request.get("return_url"),
            "cancel_url": tx.request.get("cancel_url")}


@admin_bp.get("/pay/<reference>")
def pay_page(reference: str):
    ctx = current_simulator().render(reference, None, _page_context)
    return render_template_string(_PAGE, **ctx), 200


@admin_bp.post("/pay/<reference>")
def pay_decision(reference: str):
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    sim = current_simulator()
    sim.shopper_decides(reference, approve=decision == "approve")
    ctx = sim.render(reference, None, _page_context)
    target = (ctx["cancel_url"] or ctx["return_url"]) if ctx["status"] == "FAILED" \
        else ctx["return_url"]
    if target and target.startswith(("http://", "https://")):
        return redirect(target, code=303)
    return render_template_string(_PAGE, **ctx), 200
