"""The OpenAPI 3.1 document: structurally sound, complete, and true of real responses."""
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from checkout.gateways import get_gateway
from checkout.gateways.base import RefundResult
from tests.factories import add_payment, checkout_body

DOC_URI = "urn:checkout:openapi"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def doc(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.is_json
    return r.json


def _pointer(*parts):
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _resolve(doc, ref):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


class Checker:
    """Validates a real response against the schema the document gives for its operation
    and status (component references resolved through a referencing registry)."""

    def __init__(self, doc):
        self.doc = doc
        self.registry = Registry().with_resource(
            DOC_URI, Resource(contents=doc, specification=DRAFT202012))
        self.checked = set()

    def __call__(self, template, method, response):
        operation = self.doc["paths"][template][method]
        status = str(response.status_code)
        assert status in operation["responses"], \
            f"{method.upper()} {template}: status {status} is not documented"
        spec = operation["responses"][status]
        pointer = _pointer("paths", template, method, "responses", status)
        if "$ref" in spec:
            pointer = spec["$ref"][2:]
            spec = _resolve(self.doc, spec["$ref"])
        assert response.mimetype == "application/json"
        assert "application/json" in spec["content"]
        schema = {"$ref": f"{DOC_URI}#/{pointer}/content/application~1json/schema"}
        validator = Draft202012Validator(schema, registry=self.registry)
        errors = sorted(validator.iter_errors(response.json), key=lambda e: e.path)
        assert not errors, f"{method.upper()} {template} {status}: " + "; ".join(
            f"{list(e.path)}: {e.message}" for e in errors[:5])
        self.checked.add((template, method, status))
        return response


def test_document_is_structurally_valid_openapi_31(doc):
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"][0]["url"] == "http://checkout.test/api/v1"
    for ref in _refs(doc):
        _resolve(doc, ref)
    op_ids = []
    for template, item in doc["paths"].items():
        assert template.startswith("/")
        declared = set(re.findall(r"{(\w+)}", template))
        for method, op in item.items():
            assert method in METHODS, (template, method)
            assert op["responses"], (template, method)
            op_ids.append(op["operationId"])
            params = [_resolve(doc, p["$ref"]) if "$ref" in p else p
                      for p in op.get("parameters", [])]
            for p in params:
                assert p["in"] in ("path", "query", "header", "cookie") and "schema" in p
            path_params = {p["name"] for p in params if p["in"] == "path"}
            assert path_params == declared, (template, method)
            assert all(p["required"] for p in params if p["in"] == "path")
            for status, resp in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status)
                resp = _resolve(doc, resp["$ref"]) if "$ref" in resp else resp
                assert resp["description"]
            if method == "post" and op.get("security") != []:
                assert {"$ref": "#/components/parameters/IdempotencyKey"} in \
                    op["parameters"], template
            if op.get("security") != []:
                assert "429" in op["responses"] and "401" in op["responses"]
    assert len(op_ids) == len(set(op_ids))
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearerAuth": []}]
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented(app, doc):
    documented = {(re.sub(r"{\w+}", "{}", t), m.upper()) for t, item in doc["paths"].items()
                  for m in item}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        template = re.sub(r"<(?:\w+:)?\w+>", "{}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (template, method) in documented, f"{method} {rule.rule} is not documented"


def test_request_schema_agrees_with_the_api(doc):
    registry = Registry().with_resource(DOC_URI, Resource(contents=doc,
                                                          specification=DRAFT202012))
    create = Draft202012Validator({"$ref": f"{DOC_URI}#/components/schemas/CheckoutCreate"},
                                  registry=registry)
    assert create.is_valid(checkout_body(metadata={"a": "b"}, customer={"name": "Awa"}))
    assert not create.is_valid(checkout_body(ammount=5000))
    assert not create.is_valid(checkout_body(amount=0))
    assert not create.is_valid(checkout_body(expires_in=10))


def test_real_responses_match_the_document(app, api, doc, monkeypatch):
    check = Checker(doc)
    created = check("/checkouts", "post", api.post("/checkouts", checkout_body(
        description="d", country="BJ", methods=["mtn_bj"], metadata={"k": "v"},
        cancel_url="https://shop.example/c"), key="k1"))
    cs = created.json["id"]
    check("/checkouts", "post", api.post("/checkouts", checkout_body(
        description="d", country="BJ", methods=["mtn_bj"], metadata={"k": "v"},
        cancel_url="https://shop.example/c"), key="k1"))          # replayed 201
    check("/checkouts", "post", api.post("/checkouts", checkout_body()))   # reuse: 200
    for bad in (checkout_body(amount=-1), checkout_body(ammount=1)):
        check("/checkouts", "post", api.post("/checkouts", bad))           # 400
    check("/checkouts", "post", api.post("/checkouts", raw=b"x=1",
                                         headers={"Content-Type": "text/plain"}))  # 415
    check("/checkouts", "post", api.client.post("/api/v1/checkouts", json={}))  # 401
    check("/checkouts", "post", api.post("/checkouts", checkout_body(description="x" * 300_000)))
    check("/checkouts", "post", api.post("/checkouts", checkout_body(amount=1), key="k1"))
    failed = add_payment(cs, outcome="failed")
    paid = add_payment(cs, outcome="succeeded")
    check("/checkouts/{id}", "get", api.get(f"/checkouts/{cs}"))
    check("/checkouts/{id}", "get", api.get("/checkouts/cs_nope"))             # 404
    check("/checkouts", "post", api.post("/checkouts", checkout_body()))        # 409 paid
    check("/checkouts", "get", api.get("/checkouts?limit=1"))
    check("/checkouts", "get", api.get("/checkouts?status=nope"))               # 400
    check("/checkouts/{id}/cancel", "post", api.post(f"/checkouts/{cs}/cancel"))  # 409
    other = api.post("/checkouts", checkout_body(order_id="O-2")).json["id"]
    check("/checkouts/{id}/cancel", "post", api.post(f"/checkouts/{other}/cancel"))
    cod_cs = api.post("/checkouts", checkout_body(order_id="O-3")).json["id"]
    cod = add_payment(cod_cs, "cod")
    check("/payments/{id}", "get", api.get(f"/payments/{failed}"))
    check("/payments/{id}", "get", api.get("/payments/pay_nope"))
    check("/payments", "get", api.get(f"/payments?checkout={cs}"))
    check("/payments/{id}/confirm", "post", api.post(f"/payments/{paid}/confirm"))   # 400
    check("/payments/{id}/confirm", "post", api.post(f"/payments/{cod}/confirm"))
    check("/refunds", "post", api.post("/refunds", {"payment": paid}))  # not supported
    check("/refunds", "post", api.post("/refunds", {"payment": "pay_nope"}))     # 404
    check("/refunds", "post", api.post("/refunds", {"payment": failed}))         # 400
    monkeypatch.setattr(type(get_gateway("feexpay")), "refund",
                        lambda self, *a, **kw: RefundResult(status="succeeded"))
    monkeypatch.setattr(type(get_gateway("feexpay")), "supports_refund", True)
    refund = check("/refunds", "post", api.post("/refunds", {"payment": paid, "amount": 10}))
    check("/refunds/{id}", "get", api.get(f"/refunds/{refund.json['id']}"))
    check("/refunds/{id}", "get", api.get("/refunds/re_nope"))
    check("/refunds", "get", api.get("/refunds"))
    app.config["RATE_LIMIT_PER_MINUTE"] = 1
    check("/checkouts", "get", api.get("/checkouts"))                          # 429
    assert {"429", "415", "413", "401", "409", "404", "400", "201", "200"} <= \
        {status for _, _, status in check.checked}
