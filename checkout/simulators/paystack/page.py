"""Paystack simulator: the hosted checkout page that ``authorization_url`` points at
(``GET|POST /paystack/checkout/<access_code>``; Paystack's is checkout.paystack.com).

A plain HTML form, no JavaScript: card number, expiry, CVV, PIN and OTP, and three
buttons. *Pay* takes Paystack's test cards (``4084 0840 8408 4081``, CVV 408, PIN 0000,
OTP 123456 succeeds; the decline cards of ``rules.TEST_CARDS`` are declined); *Decline*
fails the payment; *Abandon* closes the page. Afterwards the shopper is sent (303) to
``callback_url?trxref=…&reference=…`` (abandon: to ``metadata.cancel_action`` as is, when
given).
The card fields are read, compared with the test cards and dropped within the request:
never stored, logged or echoed back.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, abort, redirect, render_template_string, request

from .rules import TEST_CARDS, ApiError, SimCard
from .store import current_simulator

page_bp = Blueprint("page", __name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay {{ amount }} {{ currency }}
(Paystack simulator)</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:2rem auto}label{display:block;
margin:.5rem 0}input{display:block;width:100%}button{margin:1rem 1rem 0 0}.error{color:#b00}
</style></head><body>
<h1>Paystack simulator</h1>
<p>{{ email }} &middot; <strong>{{ amount }} {{ currency }}</strong></p>
<p>Reference: <code>{{ reference }}</code></p>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
{% if open %}<form method="post" autocomplete="off">
<label>Card number <input name="card_number" inputmode="numeric" id="card_number"></label>
<label>Expiry (MM/YY) <input name="expiry" id="expiry"></label>
<label>CVV <input name="cvv" inputmode="numeric" id="cvv"></label>
<label>PIN <input name="pin" type="password" inputmode="numeric" id="pin"></label>
<label>OTP <input name="otp" inputmode="numeric" id="otp"></label>
<button type="submit" name="action" value="succeed" id="succeed">Pay</button>
<button type="submit" name="action" value="decline" id="decline">Decline</button>
<button type="submit" name="action" value="abandon" id="abandon">Abandon</button>
</form>{% else %}<p id="status">Status: {{ status }}</p>{% endif %}
</body></html>"""


def _context(tx) -> dict:
    return {"email": tx.email, "amount": f"{tx.amount / 100:.2f}", "currency": tx.currency,
            "reference": tx.reference, "open": tx.open, "status": tx.status,
            "callback_url": tx.callback_url,
            "cancel_action": (tx.metadata or {}).get("cancel_action")}


def _page(access_code: str, error: str | None = None, status: int = 200):
    try:
        ctx = current_simulator().by_access_code(access_code, _context)
    except ApiError:
        abort(404)
    return render_template_string(_PAGE, error=error, **ctx), status


@page_bp.get("/checkout/<access_code>")
def checkout(access_code: str):
    return _page(access_code)


def _card() -> tuple[SimCard | None, str | None]:
    """The test card of the form's fields, or the reason it is refused. Reads the
    fields, keeps nothing."""
    form = request.form
    number = re.sub(r"[\s-]", "", form.get("card_number", ""))
    card = TEST_CARDS.get(number)
    if card is None:
        return None, "Card not accepted by the simulator: use a Paystack test card."
    match = re.fullmatch(r"\s*(\d{2})\s*/\s*(\d{2}|\d{4})\s*", form.get("expiry", ""))
    now = datetime.now(UTC)
    if match is None or not 1 <= int(match.group(1)) <= 12:
        return None, "Invalid expiry date."
    year = int(match.group(2)) % 100 + 2000
    if (year, int(match.group(1))) < (now.year, now.month):
        return None, "This card has expired."
    if form.get("cvv", "").strip() != card.cvv:
        return None, "Invalid CVV."
    if card.pin is not None and form.get("pin", "").strip() != card.pin:
        return None, "Incorrect PIN."
    if card.otp is not None and form.get("otp", "").strip() != card.otp:
        return None, "Token validation failed: wrong OTP."
    return card, None


def _with_reference(url: str, reference: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [("trxref", reference), ("reference", reference)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@page_bp.post("/checkout/<access_code>")
def decide(access_code: str):
    action = request.form.get("action")
    if action not in ("succeed", "decline", "abandon"):
        return _page(access_code, "Choose Pay, Decline or Abandon.", 400)
    card = None
    if action == "succeed":
        card, error = _card()
        if card is None:
            return _page(access_code, error, 422)
    sim = current_simulator()
    try:
        tx = sim.card_decision(access_code, action, card)
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        return _page(access_code, exc.message, exc.status)
    ctx = sim.by_access_code(access_code, _context)
    cancel = ctx["cancel_action"]
    if action == "abandon" and isinstance(cancel, str) \
            and cancel.startswith(("http://", "https://")):
        return redirect(cancel, code=303)
    if ctx["callback_url"]:
        return redirect(_with_reference(ctx["callback_url"], tx.reference), code=303)
    return _page(access_code)
