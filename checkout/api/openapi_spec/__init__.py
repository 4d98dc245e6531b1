"""Building blocks of the OpenAPI 3.1 document (``GET /api/v1/openapi.json``).

Each API resource declares a module-level ``OPENAPI`` fragment, a dict with ``paths`` and
``components`` parts, either in its own module under ``checkout/api/`` or in a module of
this package; ``checkout.api.openapi`` finds every fragment and merges them into the
:data:`BASE` document (a path+method or a component name declared twice with different
content is an error). To add yours::

    from .openapi_spec import IDEMPOTENCY_KEY, body, errors, list_of, obj, ok, paging, ref
    OPENAPI = {
        "paths": {"/webhook_endpoints": {"post": {
            "operationId": "createWebhookEndpoint", "tags": ["Webhook endpoints"],
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": body(ref("WebhookEndpointCreate")),
            "responses": {"201": ok("Created.", ref("WebhookEndpoint"), post=True),
                          **errors(400, 409)}}}},
        "components": {"schemas": {"WebhookEndpoint": obj({...}), ...}},
    }

``errors()`` always adds 401, 413, 429 and 500; schemas built with :func:`obj` are closed
(every property required, no others), so the tests that validate real responses against
the document catch any field the document forgot.
"""

ERROR_TYPES = ["invalid_request_error", "authentication_error", "rate_limit_error",
               "api_error"]


def ref(name, kind="schemas"):
    return {"$ref": f"#/components/{kind}/{name}"}


def nullable(schema):
    """``schema`` or null (OpenAPI 3.1 / JSON Schema 2020-12 style)."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


def obj(properties, optional=(), description=None):
    """A closed object schema: every property required except ``optional``."""
    out = {"type": "object", "additionalProperties": False, "properties": properties,
           "required": [k for k in properties if k not in optional]}
    if description:
        out["description"] = description
    return out


def ok(description, schema, post=False):
    """A JSON success response with the rate-limit headers (and the replay header on POST)."""
    headers = {h: ref(h, "headers") for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining",
                                              "X-RateLimit-Reset")}
    if post:
        headers["Idempotent-Replayed"] = ref("Idempotent-Replayed", "headers")
    return {"description": description, "headers": headers,
            "content": {"application/json": {"schema": schema}}}


def body(schema, description=None):
    out = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description:
        out["description"] = description
    return out


_ERROR_RESPONSES = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 409: "Conflict",
                    413: "PayloadTooLarge", 415: "UnsupportedMediaType",
                    429: "TooManyRequests", 500: "ServerError"}


def errors(*statuses):
    """Error responses of an operation: the given statuses plus 401, 413 (the API reads
    any body up to its limit, whatever the operation), 429 and 500."""
    wanted = sorted(set(statuses) | {401, 413, 429, 500})
    return {str(s): ref(_ERROR_RESPONSES[s], "responses") for s in wanted}


def list_of(item_schema, description):
    return obj({"object": {"const": "list"}, "data": {"type": "array", "items": item_schema},
                "has_more": {"type": "boolean",
                             "description": "Whether more items follow this page."}},
               description=description)


def paging():
    return [ref("Limit", "parameters"), ref("StartingAfter", "parameters")]


def id_schema(prefix):
    return {"type": "string", "pattern": f"^{prefix}_[A-Za-z0-9]+$", "maxLength": 40}


def path_id(name, prefix, description):
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": id_schema(prefix)}


IDEMPOTENCY_KEY = ref("IdempotencyKey", "parameters")
TIMESTAMP = {"type": "string", "format": "date-time",
             "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", "description": "ISO 8601, UTC."}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$",
            "description": "ISO 4217 code: XOF, XAF, KES, ETB, MZN, NGN, GHS, ZAR, USD, EUR."}
AMOUNT = {"type": "integer", "minimum": 1,
          "description": "In the currency's minor unit (XOF: francs; KES: cents)."}


def _error_response(description, extra_headers=None):
    out = {"description": description,
           "content": {"application/json": {"schema": ref("Error")}}}
    if extra_headers:
        out["headers"] = extra_headers
    return out


_INT_HEADER = {"schema": {"type": "integer", "minimum": 0}}

BASE = {
    "openapi": "3.1.0",
    "info": {
        "title": "Checkout merchant API",
        "version": "1.0.0",
        "description": (
            "Create hosted checkouts for African payment methods, follow their payments and "
            "refund them. JSON in and out; amounts are integers in the currency's minor unit; "
            "ids carry a type prefix (cs_, pay_, re_, evt_, we_).\n\n"
            "**Authentication**: `Authorization: Bearer sk_test_...` or `sk_live_...`; the key's "
            "mode is the mode of everything it creates and sees.\n\n"
            "**Idempotency**: send an `Idempotency-Key` header on every POST. The same key with "
            "the same request returns the first response again (header `Idempotent-Replayed: "
            "true`) for at least 24 hours; the same key with a different request is a 409 "
            "`idempotency_key_reused`; while the first request with a key is still running, "
            "another gets 409 `idempotency_key_in_use`. Only successful (2xx) responses are "
            "kept: after a 4xx or 5xx nothing was changed, and you may fix the request and "
            "retry with the same key.\n\n"
            "**Rate limit**: per API key and minute; over it a 429 `rate_limited` with "
            "`Retry-After` (seconds). Every response carries `X-RateLimit-Limit`, "
            "`X-RateLimit-Remaining` and `X-RateLimit-Reset`.\n\n"
            "**Lists** are newest first, paged with `limit` (1-100, default 20) and "
            "`starting_after=<id of the last item you have>`; `has_more` says whether to go on."
        ),
    },
    "servers": [],
    "security": [{"bearerAuth": []}],
    "tags": [],
    "paths": {},
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "Your secret API key, sk_test_... or sk_live_..."}},
        "schemas": {
            "Error": obj({"error": obj({
                "type": {"enum": ERROR_TYPES},
                "code": {"type": "string", "description": "Stable snake_case reason, e.g. "
                         "parameter_invalid, return_url_not_allowed, order_already_paid."},
                "message": {"type": "string", "description": "For the developer, in English."},
                "param": {"type": ["string", "null"],
                          "description": "The parameter or header at fault, if any."},
            })}),
        },
        "parameters": {
            "IdempotencyKey": {
                "name": "Idempotency-Key", "in": "header", "required": False,
                "description": "Makes the POST safe to retry (see the API description). "
                               "Errors (4xx) are not stored.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255}},
            "Limit": {"name": "limit", "in": "query", "required": False,
                      "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                 "default": 20}},
            "StartingAfter": {"name": "starting_after", "in": "query", "required": False,
                              "description": "The id of the last item of the previous page.",
                              "schema": {"type": "string"}},
        },
        "headers": {
            "X-RateLimit-Limit": {"description": "Requests allowed per minute.",
                                  **_INT_HEADER},
            "X-RateLimit-Remaining": {"description": "Requests left in this minute.",
                                      **_INT_HEADER},
            "X-RateLimit-Reset": {"description": "Seconds until the minute ends.",
                                  **_INT_HEADER},
            "Retry-After": {"description": "Seconds to wait before retrying.", **_INT_HEADER},
            "Idempotent-Replayed": {"description": "`true` when this is the stored response "
                                                   "of an earlier request with the same key.",
                                    "schema": {"const": "true"}},
        },
        "responses": {
            "BadRequest": _error_response("The request is invalid; nothing was changed."),
            "Unauthorized": _error_response("Missing, malformed or revoked API key."),
            "NotFound": _error_response("No such object for this key (another merchant's or "
                                        "mode's ids look the same)."),
            "Conflict": _error_response("The request conflicts with the object's state or an "
                                        "Idempotency-Key; nothing was changed."),
            "PayloadTooLarge": _error_response("The body is larger than 64 KiB."),
            "UnsupportedMediaType": _error_response("The body is not application/json."),
            "TooManyRequests": _error_response(
                "Rate limit exceeded.", {"Retry-After": ref("Retry-After", "headers")}),
            "ServerError": _error_response("Our fault; nothing was changed. Retry with the "
                                           "same Idempotency-Key."),
        },
    },
}
