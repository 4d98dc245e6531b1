"""OpenAPI fragment: payment attempts and refunds."""
from checkout.payments.state import PAYMENT_STATUSES

from . import (
    AMOUNT,
    CURRENCY,
    IDEMPOTENCY_KEY,
    TIMESTAMP,
    body,
    errors,
    id_schema,
    list_of,
    nullable,
    obj,
    ok,
    paging,
    path_id,
    ref,
)

_STR = {"type": "string"}

_PAYMENT = obj({
    "id": id_schema("pay"),
    "object": {"const": "payment"},
    "checkout": id_schema("cs"),
    "status": {"enum": list(PAYMENT_STATUSES)},
    "gateway": {"type": "string", "description": "feexpay, cod, ..."},
    "method": {"type": "string", "description": "The method code, e.g. mtn_bj."},
    "amount": AMOUNT,
    "currency": CURRENCY,
    "phone": nullable({"type": "string", "description": "Masked: +229 01 90 ** ** 01."}),
    "provider_reference": nullable(_STR),
    "failure_code": nullable(_STR),
    "failure_message": nullable(_STR),
    "livemode": {"type": "boolean"},
    "duplicate": {"type": "boolean", "description": "A second success on an already paid "
                  "checkout or order: refund it."},
    "paid_late": {"type": "boolean"},
    "refunded_amount": {"type": "integer", "minimum": 0},
    "created_at": TIMESTAMP,
    "completed_at": nullable(TIMESTAMP),
})

_REFUND = obj({
    "id": id_schema("re"),
    "object": {"const": "refund"},
    "payment": id_schema("pay"),
    "amount": AMOUNT,
    "currency": CURRENCY,
    "status": {"enum": ["pending", "succeeded", "failed"]},
    "reason": nullable(_STR),
    "failure_message": nullable(_STR),
    "livemode": {"type": "boolean"},
    "created_at": TIMESTAMP,
    "completed_at": nullable(TIMESTAMP),
})

_REFUND_CREATE = obj({
    "payment": {**id_schema("pay"), "description": "The succeeded payment to refund."},
    "amount": {**AMOUNT, "description": "Defaults to what is left to refund; more than that "
               "is a 400 `refund_amount_too_large`."},
    "reason": {"type": "string", "maxLength": 500},
}, optional=("amount", "reason"))

_PAY_ID = path_id("id", "pay", "The payment's id.")

OPENAPI = {
    "tags": [{"name": "Payments", "description": "Attempts to pay a checkout."},
             {"name": "Refunds"}],
    "paths": {
        "/payments": {"get": {
            "operationId": "listPayments", "tags": ["Payments"], "summary": "List payments",
            "parameters": [
                {"name": "status", "in": "query", "required": False,
                 "schema": {"enum": list(PAYMENT_STATUSES)}},
                {"name": "checkout", "in": "query", "required": False,
                 "description": "Only the attempts of this checkout.", "schema": _STR},
                *paging()],
            "responses": {"200": ok("A page of payments.", ref("PaymentList")), **errors(400)},
        }},
        "/payments/{id}": {"get": {
            "operationId": "retrievePayment", "tags": ["Payments"],
            "summary": "Retrieve a payment", "parameters": [_PAY_ID],
            "responses": {"200": ok("The payment.", ref("Payment")), **errors(404)},
        }},
        "/payments/{id}/confirm": {"post": {
            "operationId": "confirmCashPayment", "tags": ["Payments"],
            "summary": "Confirm a cash-on-delivery payment",
            "description": "You received the cash: the payment succeeds and its checkout is "
                           "paid. Other gateways report their own outcome: 400 "
                           "`not_cash_payment`.",
            "parameters": [_PAY_ID, IDEMPOTENCY_KEY],
            "responses": {"200": ok("The payment.", ref("Payment"), post=True),
                          **errors(400, 404, 409)},
        }},
        "/refunds": {
            "post": {
                "operationId": "createRefund", "tags": ["Refunds"], "summary": "Refund a payment",
                "description": (
                    "Full or partial refund of a succeeded payment through its gateway. The "
                    "refund comes back succeeded, pending (the provider answers later) or "
                    "failed (`failure_message`). Errors: `payment_not_refundable` (not "
                    "succeeded), `refund_amount_too_large`, `refund_not_supported` (the "
                    "gateway has no refund API, e.g. FeexPay and cash on delivery: refund the "
                    "customer directly)."),
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": body(ref("RefundCreate")),
                "responses": {"201": ok("The refund.", ref("Refund"), post=True),
                              **errors(400, 404, 409, 413, 415)},
            },
            "get": {
                "operationId": "listRefunds", "tags": ["Refunds"], "summary": "List refunds",
                "parameters": [{"name": "payment", "in": "query", "required": False,
                                "schema": _STR}, *paging()],
                "responses": {"200": ok("A page of refunds.", ref("RefundList")),
                              **errors(400)},
            },
        },
        "/refunds/{id}": {"get": {
            "operationId": "retrieveRefund", "tags": ["Refunds"], "summary": "Retrieve a refund",
            "parameters": [path_id("id", "re", "The refund's id.")],
            "responses": {"200": ok("The refund.", ref("Refund")), **errors(404)},
        }},
    },
    "components": {"schemas": {
        "Payment": _PAYMENT,
        "PaymentList": list_of(ref("Payment"), "A page of payments, newest first."),
        "Refund": _REFUND,
        "RefundCreate": _REFUND_CREATE,
        "RefundList": list_of(ref("Refund"), "A page of refunds, newest first."),
    }},
}
