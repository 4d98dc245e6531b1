"""Chapa simulator: the hosted payment page that ``checkout_url`` points at.

A plain HTML form (no JavaScript): card number, expiry, CVV, and three buttons. "Pay"
takes only Chapa's test cards; "Decline" fails the payment; "Abandon" leaves it pending.
The card fields are checked and dropped within the request: never stored, never logged,
never written back into the page.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template_string, request

from .models import FAILED, PENDING, SUCCESS
from .rules import ApiError, card_problem
from .store import current_simulator

page_bp = Blueprint("page", __name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Chapa (simulator)</title>
<style>body{font-family:sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem}
label{display:block;margin:.6rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}
.row{display:flex;gap:1rem}.row div{flex:1}button{margin:1rem .5rem 0 0;padding:.5rem 1rem}
.error{color:#b00020}</style></head><body>
<h1>{{ title }}</h1>
{% if description %}<p>{{ description }}</p>{% endif %}
<p id="amount">{{ amount }} {{ currency }}</p>
<p>Chapa test checkout &middot; <code>{{ tx_ref }}</code></p>
{% if status == "pending" %}
{% if error %}<p class="error" id="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" autocomplete="off">
<label for="card_number">Card number</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="off"
 placeholder="4200 0000 0000 0000">
<div class="row"><div><label for="expiry">Expiry (MM/YY)</label>
<input id="expiry" name="expiry" autocomplete="off" placeholder="12/30"></div>
<div><label for="cvv">CVV</label>
<input id="cvv" name="cvv" inputmode="numeric" autocomplete="off" placeholder="123"></div></div>
<button type="submit" name="action" value="succeed" id="succeed">Pay</button>
<button type="submit" name="action" value="decline" id="decline">Decline</button>
<button type="submit" name="action" value="abandon" id="abandon">Abandon</button>
</form>
{% else %}<p id="status">Status: {{ status }}</p>
{% if return_url %}<p><a href="{{ return_url }}">Back to the merchant</a></p>{% endif %}
{% endif %}
</body></html>"""


@page_bp.errorhandler(ApiError)
def _refusal(exc: ApiError):
    return jsonify(exc.body()), exc.status


def _context(tx) -> dict:
    custom = tx.fields["customization"]
    return_url = tx.fields.get("return_url")
    return {"title": custom.get("title") or "Chapa", "description": custom.get("description"),
            "amount": f"{tx.amount:.2f}", "currency": tx.currency, "tx_ref": tx.tx_ref,
            "status": tx.status, "return_url": return_url if return_url else None}


def _page(ctx: dict, error: str | None = None, status: int = 200):
    return render_template_string(_PAGE, error=error, **ctx), status, \
        {"Cache-Control": "no-store"}


@page_bp.get("/checkout/<token>")
def checkout_page(token: str):
    return _page(current_simulator().render_token(token, _context))


@page_bp.post("/checkout/<token>")
def checkout_decision(token: str):
    sim = current_simulator()
    ctx = sim.render_token(token, _context)
    action = request.form.get("action")
    if action not in ("succeed", "decline", "abandon"):
        return _page(ctx, "Choose Pay, Decline or Abandon.", 400)
    if ctx["status"] != PENDING:
        return _page(ctx, None, 409)
    if action == "succeed":
        problem = card_problem(request.form.get("card_number", ""),
                               request.form.get("expiry", ""), request.form.get("cvv", ""))
        if problem is not None:
            return _page(ctx, problem, 422)
    if action != "abandon":
        sim.decide(token, SUCCESS if action == "succeed" else FAILED)
    ctx = sim.render_token(token, _context)
    if ctx["return_url"]:
        return redirect(ctx["return_url"], code=303)
    return _page(ctx)
