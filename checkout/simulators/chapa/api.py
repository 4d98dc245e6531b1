"""Chapa v1 API simulator (docs/providers.md section 2), mounted under ``/chapa``.

A client written for ``https://api.chapa.co`` works against ``<sim>/chapa`` by changing
only its base URL (paths keep their ``/v1``). The hosted payment page is ``page``;
simulator-only controls live under ``/chapa/_sim`` (``admin``).
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request, url_for

from .admin import admin_bp
from .models import Account
from .page import page_bp
from .rules import ApiError, load_config, parse_amount, read_body, validate_initialize
from .shapes import list_item, list_page, refund_data, verify_data
from .store import ChapaSimulator, current_simulator

bp = Blueprint("chapa", __name__)
PER_PAGE = 10                 # All Transactions' page size (its documented example)
bp.register_blueprint(admin_bp, url_prefix="/_sim")
bp.register_blueprint(page_bp)


def init_app(app: Flask, config: dict | None = None, url_prefix: str = "/chapa") \
        -> ChapaSimulator:
    """Mount the Chapa simulator on ``app``; raises ValueError on a bad config."""
    sim = ChapaSimulator(load_config(config))
    app.extensions.setdefault("simulators", {})["chapa"] = sim
    app.register_blueprint(bp, url_prefix=url_prefix)
    return sim


@bp.errorhandler(ApiError)
def _refusal(exc: ApiError):
    return jsonify(exc.body()), exc.status


def _account() -> Account:
    """The account of the request's ``Authorization: Bearer <secret key>`` (2.1)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization required")
    account = current_simulator().account_for_key(token.strip())
    if account is None:
        raise ApiError(401, "Invalid API Key or User doesn't exist")
    return account


def _success(message: str, data) -> tuple:
    return jsonify({"message": message, "status": "success", "data": data}), 200


@bp.post("/v1/transaction/initialize")
def initialize():
    account = _account()
    fields = validate_initialize(read_body(request.mimetype, request.get_data(), request.form))
    sim = current_simulator()

    def page_url(token: str) -> str:
        base = sim.cfg.public_url or request.host_url
        return base.rstrip("/") + url_for("chapa.page.checkout_page", token=token)

    return _success("Hosted Link", {"checkout_url": sim.create(account, fields, page_url)})


@bp.get("/v1/transaction/verify/<tx_ref>")
def verify(tx_ref: str):
    account = _account()
    data = current_simulator().render(tx_ref, account.account_id, verify_data)
    return _success("Payment details", data)


@bp.get("/v1/transactions")
def all_transactions():
    """All Transactions: the account's, newest first, ``PER_PAGE`` a page (``?page=N``)."""
    account = _account()
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        raise ApiError(400, {"page": ["The page must be an integer."]}) from None
    rows = current_simulator().listing(account.account_id, list_item)
    return _success("Transactions retrieved successfully",
                    list_page(rows, page, PER_PAGE, request.base_url))


@bp.post("/v1/refund/<tx_ref>")
def refund(tx_ref: str):
    account = _account()
    body = read_body(request.mimetype or "application/json", request.get_data(), request.form) \
        if request.get_data() else {}
    amount = body.get("amount")
    amount = None if amount in (None, "") else parse_amount(amount)
    reason, reference = body.get("reason"), body.get("reference")
    for name, value in (("reason", reason), ("reference", reference)):
        if value is not None and not isinstance(value, str):
            raise ApiError(400, {name: [f"The {name} must be a string."]})
    sim = current_simulator()
    made = sim.refund(account, tx_ref, amount, reason, reference)
    return _success("Refund queued", sim.render(
        tx_ref, account.account_id, lambda tx: refund_data(tx, made)))
