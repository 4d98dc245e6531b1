"""What fuzzing the merchant API found (``test_fuzz_api``), one regression test each.
Every request is sent and its answer checked by Schemathesis against the document, like
the fuzzer does, so that a fix of the code that breaks the document fails here too.

1. An ``Idempotency-Key`` that is not 1-255 printable ASCII characters is a 400
   ``idempotency_key_invalid`` on every POST, but the document left 400 out of
   ``cancelCheckout`` and ``rotateWebhookEndpointSecret``.
2. Text the database cannot hold (a NUL character, an unpaired UTF-16 surrogate) in an id
   in the path, a query parameter or a JSON body was a 500 (PostgreSQL refuses it in the
   query); now a 404 for an id, a 400 for a parameter or a body.
3. (Found reading the code, not by the fuzzer.) A body over the API's limit is a 413 on
   every operation that reads it, but only two operations documented 413, and the
   document said the limit was 256 KiB where the API allows 64 KiB.
"""
import pytest

from checkout.extensions import db
from checkout.webhooks_out import ssrf
from tests.factories import add_payment, checkout_body
from tests.security.test_fuzz_api import CHECKS, _fake_resolve, schema_with_key

BAD_TEXT = ["a\x00b", "\x00", "a\udc00", "\ud800"]


@pytest.fixture
def call(app, merchant, monkeypatch):
    """``call("POST", "/checkouts/{id}/cancel", path={"id": ...}, ...)`` -> the response,
    after Schemathesis checked it against the document."""
    monkeypatch.setattr(ssrf, "resolve", _fake_resolve)

    def send(method, template, *, path=None, query=None, body=None, headers=None,
             auth=merchant.auth):
        operation = schema_with_key[template][method]
        kwargs = {"path_parameters": path or {}, "query": query or {},
                  "headers": headers or {}}
        if body is not None:
            kwargs.update(body=body, media_type="application/json")
        case = operation.Case(**kwargs)
        return case.call_and_validate(app=app, headers=auth, checks=CHECKS)
    return send


@pytest.fixture
def objects(client, merchant):
    """An endpoint and a checkout of the merchant: ids."""
    endpoint = client.post("/api/v1/webhook_endpoints", headers=merchant.auth,
                           json={"url": "http://127.0.0.1:9/hooks"}).get_json()["id"]
    checkout = client.post("/api/v1/checkouts", headers=merchant.auth,
                           json=checkout_body()).get_json()["id"]
    return {"we": endpoint, "cs": checkout}


# -- 1. Idempotency-Key errors are documented on every POST ------------------------------

def test_every_post_that_takes_an_idempotency_key_documents_its_400():
    key = {"$ref": "#/components/parameters/IdempotencyKey"}
    missing = [f"{method.upper()} {path}"
               for path, item in schema_with_key.raw_schema["paths"].items()
               for method, op in item.items()
               if key in op.get("parameters", []) and "400" not in op["responses"]]
    assert missing == []


@pytest.mark.parametrize("key", ["", "k" * 256, "é-key", "tab\tkey"])
@pytest.mark.parametrize("template,prefix", [("/checkouts/{id}/cancel", "cs"),
                                              ("/webhook_endpoints/{id}/rotate_secret", "we")])
def test_an_invalid_idempotency_key_is_a_documented_400(call, objects, template, prefix, key):
    r = call("POST", template, path={"id": objects[prefix]},
             headers={"Idempotency-Key": key})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "idempotency_key_invalid"


# -- 2. NUL characters and unpaired surrogates are refused, never a 500 ------------------

@pytest.mark.parametrize("text", ["a\x00b", "\x00"])
@pytest.mark.parametrize("method,template", [
    ("GET", "/checkouts/{id}"), ("POST", "/checkouts/{id}/cancel"),
    ("GET", "/payments/{id}"), ("POST", "/payments/{id}/confirm"), ("GET", "/refunds/{id}"),
    ("GET", "/webhook_endpoints/{id}"), ("POST", "/webhook_endpoints/{id}/rotate_secret"),
    ("DELETE", "/webhook_endpoints/{id}"), ("GET", "/events/{id}"),
    ("GET", "/events/{id}/deliveries")])
def test_a_nul_in_an_id_is_a_404(call, method, template, text):
    r = call(method, template, path={"id": f"x_{text}"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "resource_missing"


@pytest.mark.parametrize("template,name", [
    ("/checkouts", "order_id"), ("/checkouts", "starting_after"), ("/payments", "checkout"),
    ("/payments", "starting_after"), ("/refunds", "payment"), ("/refunds", "starting_after"),
    ("/webhook_endpoints", "starting_after"), ("/events", "starting_after")])
def test_a_nul_in_a_query_parameter_is_a_400(call, template, name):
    r = call("GET", template, query={name: "cs_\x00"})
    assert r.status_code == 400
    assert (r.json()["error"]["code"], r.json()["error"]["param"]) == ("parameter_invalid", name)


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("field", ["order_id", "description", "metadata", "metadata-key",
                                   "customer"])
def test_bad_text_in_a_checkout_is_a_400_and_nothing_is_written(call, counts, field, text):
    body = checkout_body()
    if field == "metadata":
        body["metadata"] = {"note": text}
    elif field == "metadata-key":
        body["metadata"] = {text: "v"}
    elif field == "customer":
        body["customer"] = {"name": text}
    else:
        body[field] = text
    before = counts()
    r = call("POST", "/checkouts", body=body)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == field.split("-")[0]
    assert counts() == before


@pytest.mark.parametrize("text", BAD_TEXT)
def test_bad_text_in_other_bodies_is_a_400(call, objects, text):
    cs = objects["cs"]
    pay = add_payment(cs, "cod")
    db.session.commit()
    answers = [
        call("POST", "/webhook_endpoints", body={"url": "http://127.0.0.1/h", "description": text}),
        call("POST", "/webhook_endpoints/{id}", path={"id": objects["we"]},
             body={"description": text}),
        call("POST", "/webhook_endpoints/{id}/redeliver_failed", path={"id": objects["we"]},
             body={"since": "2026-01-01T00:00:00Z" + text}),
        call("POST", "/refunds", body={"payment": pay, "reason": text}),
        call("POST", "/refunds", body={"payment": "pay_" + text}),
        call("POST", "/events/{id}/redeliver", path={"id": "evt_x"},
             body={"endpoint": "we_" + text}),
    ]
    assert [r.status_code for r in answers] == [400] * len(answers)


# -- 3. Bodies over the API's limit: a documented 413 everywhere (found reading the code) --

def test_every_operation_documents_413():
    assert [f"{method.upper()} {path}"
            for path, item in schema_with_key.raw_schema["paths"].items()
            for method, op in item.items()
            if op.get("security") != [] and "413" not in op["responses"]] == []


def _post_operations():
    return [path for path, item in schema_with_key.raw_schema["paths"].items() if "post" in item]


@pytest.mark.parametrize("template", _post_operations())
def test_a_body_over_the_api_limit_is_a_documented_413(app, call, objects, counts, template):
    big = {"description": "x" * app.config["API_MAX_BODY_BYTES"]}
    path = {"id": objects["we"] if "webhook" in template else objects["cs"]} \
        if "{id}" in template else None
    before = counts()
    r = call("POST", template, path=path, body=big, headers={"Idempotency-Key": "big-1"})
    assert r.status_code == 413
    assert counts() == before


def test_the_documented_body_limit_is_the_api_limit(app):
    limit_kib = app.config["API_MAX_BODY_BYTES"] // 1024
    text = schema_with_key.raw_schema["components"]["responses"]["PayloadTooLarge"]["description"]
    assert f"{limit_kib} KiB" in text


# -- Found outside checkout/api and fixed there -----------------------------------------

@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
def test_a_since_out_of_range_is_a_400_not_a_500(call, objects, since):
    r = call("POST", "/webhook_endpoints/{id}/redeliver_failed", path={"id": objects["we"]},
             body={"since": since})
    assert r.status_code == 400
