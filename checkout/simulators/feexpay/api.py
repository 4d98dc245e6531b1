"""FeexPay v2 API simulator (docs/providers.md section 1), mounted under ``/feexpay``.

A client written for ``https://api-v2.feexpay.me`` works against ``<sim>/feexpay`` by changing
only its base URL. Simulator-only controls live under ``/feexpay/_sim`` (see ``admin``).
"""
from __future__ import annotations

import secrets

from flask import Blueprint, Flask, jsonify, request, url_for

from .admin import admin_bp
from .models import FINAL, Shop
from .rules import NETWORKS, ApiError, load_config, validate_payin
from .shapes import status_body
from .store import FeexPaySimulator, current_simulator

bp = Blueprint("feexpay", __name__)
bp.register_blueprint(admin_bp, url_prefix="/_sim")


def init_app(app: Flask, config: dict | None = None, url_prefix: str = "/feexpay") \
        -> FeexPaySimulator:
    """Mount the FeexPay simulator on ``app``; raises ValueError on a bad config."""
    sim = FeexPaySimulator(load_config(config))
    app.extensions.setdefault("simulators", {})["feexpay"] = sim
    app.register_blueprint(bp, url_prefix=url_prefix)
    return sim


@bp.errorhandler(ApiError)
def _refusal(exc: ApiError):
    return jsonify(exc.body()), exc.status


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "UNAUTHORIZED", "Authorization: Bearer <API key> is required")
    return token.strip()


def _shop_from_bearer() -> Shop:
    shop = current_simulator().shop_for_key(_bearer())
    if shop is None:
        raise ApiError(401, "ERR_INVALID_API_KEY")
    return shop


def _pay_url(reference: str) -> str:
    path = url_for("feexpay.admin.pay_page", reference=reference)
    base = current_simulator().cfg.public_url or request.host_url
    return base.rstrip("/") + path


@bp.post("/api/transactions/public/requesttopay/<network>")
def request_to_pay(network: str):
    sim = current_simulator()
    net = NETWORKS.get(network)
    if net is None:
        raise ApiError(404, f"{network} channel not configured")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON body")
    key = _bearer()
    shop_id = body.get("shop")
    if not isinstance(shop_id, str) or not shop_id:
        raise ApiError(400, "shop is required")
    shop = sim.get_shop(shop_id)
    if shop is None:
        raise ApiError(404, "Shop not found")
    if not secrets.compare_digest(shop.api_key.encode(), key.encode()):
        raise ApiError(401, "ERR_INVALID_API_KEY")
    if shop.networks is not None and network not in shop.networks:
        raise ApiError(404, f"{network} channel not configured")
    validate_payin(net, body, sim.cfg)
    tx = sim.create(shop, net, body, _pay_url)
    answer = {"reference": tx.reference, "status": "PENDING",
              "message": "Request to pay sent, waiting for the customer's confirmation"}
    if tx.payment_url:
        answer["payment_url"] = tx.payment_url
        answer["message"] = "Open payment_url to complete the payment"
    if net.final_in_init and tx.status in FINAL:
        answer.update(status=tx.status, reason=tx.reason, message=f"Transaction {tx.status}")
    return jsonify(answer), 200


@bp.get("/api/transactions/public/single/status/<reference>")
def single_status(reference: str):
    shop = _shop_from_bearer()
    return jsonify(current_simulator().render(reference, shop.shop_id, status_body)), 200


@bp.get("/api/balance/public/getByShop/<shop_id>")
def balance(shop_id: str):
    sim, shop = current_simulator(), _shop_from_bearer()
    if sim.get_shop(shop_id) is None:
        raise ApiError(404, "Shop not found")
    if shop.shop_id != shop_id:
        raise ApiError(401, "ERR_INVALID_API_KEY")
    paid = sum(sim.transactions(
        shop_id, lambda t: t.request["amount"] if t.status == "SUCCESSFUL" else 0))
    return jsonify(success=True, shop=shop_id, balance=paid, currency="XOF"), 200
