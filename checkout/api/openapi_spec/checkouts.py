"""OpenAPI fragment: checkouts."""
from checkout.checkouts.params import (
    EXPIRES_DEFAULT,
    EXPIRES_MAX,
    EXPIRES_MIN,
    LOCALES,
    METADATA_KEY_MAX,
    METADATA_MAX_KEYS,
    METADATA_VALUE_MAX,
)
from checkout.payments.state import CHECKOUT_STATUSES

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
_URL = {"type": "string", "format": "uri", "maxLength": 2000}
_METADATA = {"type": "object", "maxProperties": METADATA_MAX_KEYS,
             "propertyNames": {"minLength": 1, "maxLength": METADATA_KEY_MAX},
             "additionalProperties": {"type": "string", "maxLength": METADATA_VALUE_MAX},
             "description": "Your own small string map, returned as given."}

_CHECKOUT_FIELDS = {
    "id": id_schema("cs"),
    "object": {"const": "checkout"},
    "url": {**_URL, "description": "The hosted page: redirect the shopper here."},
    "status": {"enum": list(CHECKOUT_STATUSES), "description":
               "open: waiting for the shopper; processing: an attempt is pending; paid; "
               "expired; canceled. A failed attempt returns the checkout to open."},
    "order_id": {"type": "string", "maxLength": 64},
    "amount": AMOUNT,
    "currency": CURRENCY,
    "description": nullable({"type": "string", "maxLength": 500}),
    "country": nullable({"type": "string", "pattern": "^[A-Z]{2}$"}),
    "methods": nullable({"type": "array", "items": _STR}),
    "return_url": nullable(_URL),
    "cancel_url": nullable(_URL),
    "metadata": _METADATA,
    "livemode": {"type": "boolean"},
    "paid_late": {"type": "boolean", "description": "Paid by an attempt that succeeded after "
                  "the checkout had expired or been canceled."},
    "expires_at": TIMESTAMP,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "completed_at": nullable(TIMESTAMP),
    "payment": {"oneOf": [ref("Payment"), {"type": "null"}],
                "description": "The successful payment, once there is one."},
}

_CREATE = obj({
    "order_id": {"type": "string", "minLength": 1, "maxLength": 64,
                 "description": "Your order reference. One order has at most one live "
                                "checkout and can never be paid twice."},
    "amount": AMOUNT,
    "currency": CURRENCY,
    "description": {"type": "string", "maxLength": 500},
    "country": {"type": "string", "pattern": "^[A-Za-z]{2}$",
                "description": "ISO 3166-1 alpha-2: pre-selects the methods of that country "
                               "and reads customer.phone as a number of it."},
    "customer": obj({"name": {"type": "string", "maxLength": 200},
                     "email": {"type": "string", "maxLength": 254},
                     "phone": {"type": "string", "description": "Validated for `country`; "
                               "without it, in international form (+229...)."}},
                    optional=("name", "email", "phone")),
    "methods": {"type": "array", "minItems": 1, "maxItems": 50, "items": _STR,
                "description": "Restrict the picker to these method codes (e.g. mtn_bj). Each "
                               "must be enabled for you in this mode and take the currency."},
    "return_url": {**_URL, "description": "Where the shopper returns after the outcome. "
                   "https (http in test mode only); its host must be on your allow-list."},
    "cancel_url": {**_URL, "description": "Where a shopper who gives up goes; same rules."},
    "expires_in": {"type": "integer", "minimum": EXPIRES_MIN, "maximum": EXPIRES_MAX,
                   "default": EXPIRES_DEFAULT, "description": "Seconds until it expires."},
    "metadata": _METADATA,
    "locale": {"enum": list(LOCALES), "description": "The hosted page's language."},
}, optional=("description", "country", "customer", "methods", "cancel_url", "expires_in",
             "metadata", "locale"), description="Unknown fields are refused (400).")

_ID = path_id("id", "cs", "The checkout's id.")
_TAG = ["Checkouts"]

OPENAPI = {
    "tags": [{"name": "Checkouts", "description": "A shopper's way to pay one order."}],
    "paths": {
        "/checkouts": {
            "post": {
                "operationId": "createCheckout", "tags": _TAG,
                "summary": "Create a checkout (or get the order's open one back)",
                "description": (
                    "An order with an open checkout of the same amount and currency gets it "
                    "back (200). An open one with another amount or currency is canceled "
                    "(event checkout.canceled) and a new one created (201). A paid order is a "
                    "409 `order_already_paid`; one with a payment pending a 409 "
                    "`order_payment_in_progress`. Validation errors name the `param`: e.g. "
                    "`parameter_unknown` (a typo such as `ammount`), `parameter_missing`, "
                    "`amount_invalid`, `amount_too_small`, `amount_too_large`, "
                    "`currency_not_supported`, `phone_invalid`, `return_url_invalid`, "
                    "`return_url_not_allowed`, `cancel_url_not_allowed`, `method_unknown`, "
                    "`method_unavailable`, `amount_below_minimum`, `amount_above_maximum`, "
                    "`no_method_available`."),
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": body(ref("CheckoutCreate")),
                "responses": {
                    "201": ok("Created.", ref("Checkout"), post=True),
                    "200": ok("The order's open checkout, returned again.", ref("Checkout"),
                              post=True),
                    **errors(400, 409, 413, 415)},
            },
            "get": {
                "operationId": "listCheckouts", "tags": _TAG, "summary": "List checkouts",
                "parameters": [
                    {"name": "status", "in": "query", "required": False,
                     "schema": {"enum": list(CHECKOUT_STATUSES)}},
                    {"name": "order_id", "in": "query", "required": False, "schema": _STR},
                    *paging()],
                "responses": {"200": ok("A page of checkouts.", ref("CheckoutList")),
                              **errors(400)},
            },
        },
        "/checkouts/{id}": {
            "get": {
                "operationId": "retrieveCheckout", "tags": _TAG,
                "summary": "Retrieve a checkout with all its payment attempts",
                "parameters": [_ID],
                "responses": {"200": ok("The checkout.", ref("CheckoutWithPayments")),
                              **errors(404)},
            },
        },
        "/checkouts/{id}/cancel": {
            "post": {
                "operationId": "cancelCheckout", "tags": _TAG, "summary": "Cancel a checkout",
                "description": "Only an open checkout (no payment pending or made): otherwise "
                               "409 `checkout_not_cancelable`. Canceling a canceled checkout "
                               "returns it again.",
                "parameters": [_ID, IDEMPOTENCY_KEY],
                "responses": {"200": ok("The canceled checkout.", ref("Checkout"), post=True),
                              **errors(400, 404, 409)},
            },
        },
    },
    "components": {"schemas": {
        "CheckoutCreate": _CREATE,
        "Checkout": obj(_CHECKOUT_FIELDS),
        "CheckoutWithPayments": obj({**_CHECKOUT_FIELDS, "payments": {
            "type": "array", "items": ref("Payment"),
            "description": "Every attempt, oldest first."}}),
        "CheckoutList": list_of(ref("Checkout"), "A page of checkouts, newest first."),
    }},
}
