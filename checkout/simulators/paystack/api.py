"""Paystack API simulator (docs/providers.md section 3), mounted under ``/paystack``.

A client written for ``https://api.paystack.co`` works against ``<sim>/paystack`` by
changing only its base URL. The hosted checkout page is ``page``; simulator-only controls
live under ``/paystack/_sim`` (``admin``).
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request, url_for

from .admin import admin_bp
from .listing import page_of, query
from .models import Account
from .page import page_bp
from .rules import (
    INVALID_KEY,
    MALFORMED_AUTH,
    NO_INSTRUMENT,
    PROVIDERS,
    ApiError,
    load_config,
    momo_phone,
    parse_amount,
    parse_channels,
    parse_currency,
    parse_email,
    parse_metadata,
    parse_reference,
    parse_url,
)
from .shapes import charge_data, refund_created, refund_data, verify_data
from .store import PaystackSimulator, current_simulator

bp = Blueprint("paystack", __name__)
bp.register_blueprint(admin_bp, url_prefix="/_sim")
bp.register_blueprint(page_bp)


def init_app(app: Flask, config: dict | None = None, url_prefix: str = "/paystack") \
        -> PaystackSimulator:
    """Mount the Paystack simulator on ``app``; raises ValueError on a bad config."""
    sim = PaystackSimulator(load_config(config))
    app.extensions.setdefault("simulators", {})["paystack"] = sim
    app.register_blueprint(bp, url_prefix=url_prefix)
    return sim


@bp.errorhandler(ApiError)
def _refusal(exc: ApiError):
    return jsonify(exc.body()), exc.status


def ok(message: str, data, status: int = 200, **extra):
    return jsonify({"status": True, "message": message, "data": data, **extra}), status


def _account() -> Account:
    """The account of the Bearer secret key (3.1): a malformed header and an unknown key
    are both 401, with Paystack's two messages."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not key.strip() or " " in key.strip():
        raise ApiError(401, MALFORMED_AUTH)
    account = current_simulator().account_for_key(key.strip())
    if account is None:
        raise ApiError(401, INVALID_KEY)
    return account


def _body() -> dict:
    """A JSON object, or a form (the spec takes both)."""
    body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON body")
    return body


def _checkout_url(access_code: str) -> str:
    path = url_for("paystack.page.checkout", access_code=access_code)
    base = current_simulator().cfg.public_url or request.host_url
    return base.rstrip("/") + path


@bp.post("/transaction/initialize")
def initialize():
    account, body = _account(), _body()
    fields = {"email": parse_email(body.get("email"), "Email is not allowed to be empty"),
              "amount": parse_amount(body.get("amount")),
              "currency": parse_currency(body.get("currency"), "NGN"),
              "reference": parse_reference(body.get("reference")),
              "callback_url": parse_url(body.get("callback_url"), "callback_url"),
              "channels": parse_channels(body.get("channels")),
              "metadata": parse_metadata(body.get("metadata"))}
    tx = current_simulator().initialize(account, fields)
    return ok("Authorization URL created", {
        "authorization_url": _checkout_url(tx.access_code), "access_code": tx.access_code,
        "reference": tx.reference})


@bp.get("/transaction/verify/<reference>")
def verify(reference: str):
    data = current_simulator().render(_account(), reference, verify_data)
    return ok("Verification successful", data)


@bp.get("/transaction")
def list_transactions():
    """List Transactions: the account's, newest first, filtered by ``from``/``to`` and
    ``status``, one page of ``perPage`` with Paystack's ``meta``."""
    account, asked = _account(), query(request.args)
    rows = current_simulator().listing(account.account_id, asked["since"], asked["until"],
                                       asked["status"], verify_data)
    data, meta = page_of(rows, asked["per_page"], asked["page"])
    return ok("Transactions retrieved", data, meta=meta)


@bp.post("/charge")
def charge():
    account, body = _account(), _body()
    email = parse_email(body.get("email"), "Email address is required to create charge")
    amount = parse_amount(body.get("amount"))
    momo = body.get("mobile_money")
    if not isinstance(momo, dict):
        raise ApiError(400, NO_INSTRUMENT)
    provider = PROVIDERS.get(str(momo.get("provider") or "").lower())
    if provider is None:
        raise ApiError(400, "Invalid mobile money provider: use one of mtn, atl, vod, mpesa")
    currency = parse_currency(body.get("currency"), provider.currency)
    if currency != provider.currency:
        raise ApiError(400, "Currency not supported by merchant")
    fields = {"email": email, "amount": amount, "currency": currency,
              "reference": parse_reference(body.get("reference")),
              "metadata": parse_metadata(body.get("metadata"))}
    phone = momo_phone(provider, momo.get("phone"))
    tx = current_simulator().charge(account, fields, provider, phone)
    return ok("Charge attempted", current_simulator().render(account, tx.reference, charge_data))


@bp.post("/charge/submit_otp")
def submit_otp():
    account, body = _account(), _body()
    otp, reference = body.get("otp"), body.get("reference")
    if not isinstance(otp, str) or not otp or not isinstance(reference, str) or not reference:
        raise ApiError(400, "otp and reference are required")
    sim = current_simulator()
    tx = sim.submit_otp(account, reference, otp)
    return ok("Charge attempted", sim.render(account, tx.reference, charge_data))


@bp.get("/charge/<reference>")
def check_charge(reference: str):
    data = current_simulator().render(_account(), reference, charge_data)
    return ok("Reference check successful", data)


@bp.post("/refund")
def create_refund():
    account, body = _account(), _body()
    transaction = body.get("transaction")
    if isinstance(transaction, int) and not isinstance(transaction, bool):
        transaction = str(transaction)
    if not isinstance(transaction, str) or not transaction:
        raise ApiError(400, "Transaction reference or id is required")
    notes = {k: str(body[k])[:500] for k in ("merchant_note", "customer_note") if body.get(k)}
    currency = body.get("currency")
    currency = currency.upper() if isinstance(currency, str) and currency else None
    refund = current_simulator().create_refund(
        account, transaction, parse_amount(body.get("amount"), required=False), currency, notes)
    return ok("Refund has been queued for processing", refund_created(refund))


@bp.get("/refund")
def list_refunds():
    account = _account()
    try:
        per_page = max(1, min(int(request.args.get("perPage", 50)), 100))
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        raise ApiError(400, "perPage and page must be integers") from None
    rows = current_simulator().refund_desk.listing(account.account_id, refund_data,
                                                   request.args.get("transaction"))
    start = (page - 1) * per_page
    meta = {"total": len(rows), "skipped": start, "perPage": per_page, "page": page,
            "pageCount": max(1, -(-len(rows) // per_page))}
    return ok("Refunds retrieved", rows[start:start + per_page], meta=meta)


@bp.get("/refund/<refund_id>")
def fetch_refund(refund_id: str):
    account = _account()
    if not refund_id.isdigit():
        raise ApiError(404, "Refund not found")
    data = current_simulator().refund_desk.get(int(refund_id), account.account_id, refund_data)
    return ok("Refund retrieved", data)
