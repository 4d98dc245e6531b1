"""The ways to pay a merchant offers in the caller's mode, with each mobile-money
operator's health right now (``GET /api/v1/methods``): what a checkout would offer, and
whether an operator is failing well below its normal rate (observability.health)."""
from flask import g, request

from checkout.core.money import MoneyError, validate_amount
from checkout.gateways import all_methods
from checkout.observability import health
from checkout.payments.offers import enabled_accounts, method_fits

from .blueprint import bp
from .checkouts import check_query
from .common import invalid, list_response
from .openapi_spec import errors, list_of, nullable, obj, ok


@bp.get("/methods")
def list_methods():
    check_query({"currency", "country", "amount"})
    currency = request.args.get("currency")
    country = request.args.get("country")
    amount = _amount(request.args.get("amount"), currency)
    caller = g.caller
    offered = []
    for account in enabled_accounts(caller.merchant_id, caller.livemode):
        for code in account.methods:
            method = catalog().get(code)
            if method is None or method.gateway != account.gateway:
                continue
            if currency and not method_fits(method, currency, amount or method.min_amount,
                                            country):
                continue
            if country and method.country and method.country != country:
                continue
            offered.append(method)
    operators = {m.operator_key for m in offered if m.kind == "mobile_money"}
    states = health.status(operators) if operators else {}
    order = list(catalog())
    offered.sort(key=lambda m: order.index(m.code))
    return list_response([_serialize(m, states, caller.livemode) for m in offered], False)


def catalog():
    return all_methods()


def _amount(raw, currency):
    if raw is None:
        return None
    if not currency:
        raise invalid("amount needs currency.", "currency")
    try:
        amount = int(raw)
        validate_amount(amount, currency)
    except (ValueError, MoneyError):
        raise invalid("amount must be a positive whole number of minor units of the "
                      "currency.", "amount") from None
    return amount


def _serialize(method, states, livemode):
    state = states.get(method.operator_key) if method.kind == "mobile_money" else None
    return {
        "object": "method", "id": method.code, "gateway": method.gateway, "kind": method.kind,
        "label": method.label, "country": method.country,
        "currencies": list(method.currencies), "min_amount": method.min_amount,
        "max_amount": method.max_amount, "needs_phone": method.needs_phone,
        "operator": method.operator_key if method.kind == "mobile_money" else None,
        "status": state["status"] if state else "ok",
        "recent_success_rate": state["recent_success_rate"] if state else None,
        "livemode": livemode,
    }


_STR = {"type": "string"}
_METHOD = obj({
    "object": {"const": "method"},
    "id": {"type": "string", "description": "The method code (mtn_bj, mpesa_ke...)."},
    "gateway": _STR, "kind": {"enum": ["mobile_money", "card", "cash"]}, "label": _STR,
    "country": nullable(_STR), "currencies": {"type": "array", "items": _STR},
    "min_amount": {"type": "integer"}, "max_amount": nullable({"type": "integer"}),
    "needs_phone": {"type": "boolean"}, "operator": nullable(_STR),
    "status": {"enum": ["ok", "degraded", "unknown"], "description":
               "degraded: the operator's recent attempts succeed well below its normal rate "
               "(another method may be faster); unknown: too few recent attempts to tell."},
    "recent_success_rate": nullable({"type": "number", "minimum": 0, "maximum": 1}),
    "livemode": {"type": "boolean"},
})

OPENAPI = {
    "tags": [{"name": "Methods", "description": "The ways to pay on offer, and how each "
              "mobile-money operator is doing right now."}],
    "paths": {"/methods": {"get": {
        "operationId": "listMethods", "tags": ["Methods"],
        "summary": "List the ways to pay offered in this mode",
        "parameters": [
            {"name": "currency", "in": "query", "required": False, "schema": _STR},
            {"name": "country", "in": "query", "required": False, "schema": _STR},
            {"name": "amount", "in": "query", "required": False,
             "description": "Minor units; needs currency.", "schema": {"type": "integer"}}],
        "responses": {"200": ok("The methods.", {"$ref": "#/components/schemas/MethodList"}),
                      **errors(400)}}}},
    "components": {"schemas": {"Method": _METHOD,
                               "MethodList": list_of(_METHOD, "Ways to pay.")}},
}
