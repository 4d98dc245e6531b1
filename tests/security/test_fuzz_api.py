"""Fuzzing the whole merchant API from its own OpenAPI document (Schemathesis).

The document served at ``/api/v1/openapi.json`` is loaded from the app (WSGI, no
server), and every operation in it is run through Schemathesis's phases (examples,
coverage, fuzzing; valid and invalid data), twice:

- with a merchant's valid test key, on a database holding that merchant's objects (an
  open checkout, pending and paid payments, cash on delivery, a refund, a webhook
  endpoint with deliveries, events) whose ids are mixed into the generated path, query
  and body values, so that the requests reach real objects and not only 404s;
- with no key at all: every answer is a 401.

(Schemathesis leaves out the operation that serves the document itself;
``test_the_fuzzed_document_is_the_served_one`` checks that one.)

Every answer must be documented: no 5xx, a documented status code, the documented
content type, headers and body schema. Deterministic (fixed seed, no example
database) and bounded (``MAX_EXAMPLES`` per operation and phase) for CI.
"""
import collections
import json
import os

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Refund
from checkout.webhooks_out import ssrf
from tests.conftest import make_test_app
from tests.factories import add_payment, checkout_body, make_merchant

DOCUMENT = "/api/v1/openapi.json"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "30"))
SEED = int(os.environ.get("FUZZ_SEED", "20260501"))   # other seeds: explore
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Operations that cannot answer 2xx on today's gateways, and why. Every other operation
# must have answered 2xx at least once with the valid key (the fuzzer reached it).
NEVER_2XX = {"POST /refunds": "no gateway of today has a refund API (400 "
                              "refund_not_supported)"}

CONFIG = {
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True,
                   "database": "none", "with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
}

SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large])


class Objects:
    """The fuzzed merchant's objects (ids by prefix), while a valid-key test runs."""
    ids: dict = {}


class FuzzRun:
    """One operation's fuzzing: the app, the headers every request carries, what came
    back."""

    def __init__(self, app, headers):
        self.app, self.headers = app, headers
        self.statuses = collections.defaultdict(collections.Counter)  # label -> {status: n}
        self.codes = collections.defaultdict(collections.Counter)     # label -> {code: n}

    @property
    def cases(self):
        return sum(sum(c.values()) for c in self.statuses.values())

    def report(self, mode):
        """With ``FUZZ_REPORT=<file>``, append what this run saw to it (one JSON line
        per operation): the numbers of the closing note."""
        path = os.environ.get("FUZZ_REPORT")
        if not path:
            return
        with open(path, "a", encoding="utf-8") as out:
            for label, statuses in sorted(self.statuses.items()):
                out.write(json.dumps({"mode": mode, "operation": label,
                                      "statuses": {str(k): v for k, v in statuses.items()},
                                      "codes": dict(self.codes[label])}) + "\n")


def _fake_resolve(host, port):
    """Offline DNS for webhook URLs: IP literals as they are, every name a public
    documentation address (no network during the fuzz)."""
    try:
        ssrf.classify(host)
        return [host]
    except ValueError:
        return ["93.184.216.34"]


def _merchant_objects(client, merchant):
    """The merchant's objects, made through the API where it can make them: ids by
    prefix (cs, pay, re, we, evt)."""
    auth = merchant.auth
    endpoint = client.post("/api/v1/webhook_endpoints", headers=auth,
                           json={"url": "http://127.0.0.1:9/hooks"}).get_json()["id"]
    open_cs = client.post("/api/v1/checkouts", headers=auth,
                          json=checkout_body(order_id="FZ-OPEN")).get_json()["id"]
    cash_cs = client.post("/api/v1/checkouts", headers=auth,
                          json=checkout_body(order_id="FZ-CASH")).get_json()["id"]
    pending_cs = client.post("/api/v1/checkouts", headers=auth,
                             json=checkout_body(order_id="FZ-PEND")).get_json()["id"]
    paid_cs = client.post("/api/v1/checkouts", headers=auth,
                          json=checkout_body(order_id="FZ-PAID")).get_json()["id"]
    cash = add_payment(cash_cs, "cod")
    pending = add_payment(pending_cs)
    paid = add_payment(paid_cs, outcome="succeeded")
    refund = Refund(id=new_id("re"), payment_id=paid, merchant_id=merchant.id, livemode=False,
                    amount=1000, currency="XOF", status="succeeded", reason="fuzz",
                    created_at=utcnow(), completed_at=utcnow())
    db.session.add(refund)
    db.session.commit()
    canceled = client.post(f"/api/v1/checkouts/{open_cs}/cancel", headers=auth)
    assert canceled.status_code == 200
    events = client.get("/api/v1/events", headers=auth).get_json()["data"]
    assert events, "the setup made no event"
    return {"cs": [open_cs, cash_cs, pending_cs, paid_cs], "pay": [cash, pending, paid],
            "re": [refund.id], "we": [endpoint], "evt": [e["id"] for e in events]}


def _sometimes(value, replacements):
    """One of ``replacements`` (real objects, valid bodies), or ``value`` as generated.
    The replacements come first: Hypothesis leans to the first branch, so the valid
    requests do not depend on how the document's schemas happen to steer generation."""
    if not replacements:
        return st.just(value)
    return st.one_of(st.sampled_from(replacements), st.just(value))


def _install_hooks(schema):
    """Mix the merchant's real ids (``Objects.ids``) and allowed URLs into generated
    values."""
    prefix_of = {"/checkouts/": "cs", "/payments/": "pay", "/refunds/": "re",
                 "/webhook_endpoints/": "we", "/events/": "evt"}

    def real_ids(path):
        ids = Objects.ids
        return next((ids[p] for marker, p in prefix_of.items() if marker in path), [])

    @schema.hooks.hook
    def flatmap_path_parameters(context, path_parameters):
        if not isinstance(path_parameters, dict) or "id" not in path_parameters:
            return st.just(path_parameters)
        choices = [{**path_parameters, "id": i} for i in real_ids(context.operation.path)]
        return _sometimes(path_parameters, choices)

    @schema.hooks.hook
    def flatmap_query(context, query):
        if not isinstance(query, dict):
            return st.just(query)
        ids, choices = Objects.ids, []
        for name, prefix in (("checkout", "cs"), ("payment", "pay")):
            if name in query:
                choices += [{**query, name: i} for i in ids[prefix]]
        if "starting_after" in query:
            choices += [{**query, "starting_after": i}
                        for i in real_ids(context.operation.path + "/")]
        return _sometimes(query, choices)

    @schema.hooks.hook
    def flatmap_body(context, body):
        if not isinstance(body, dict):
            return st.just(body)
        ids, choices = Objects.ids, []
        if "return_url" in body:
            # What the schema cannot say: a supported currency, an amount the methods
            # take, URLs on the allow-list, a phone of the country.
            fixed = {**body, "currency": "XOF", "amount": 5000,
                     "return_url": "https://shop.example/orders/fz"}
            for name in ("cancel_url", "methods", "country"):
                fixed.pop(name, None)
            if isinstance(fixed.get("customer"), dict):
                fixed["customer"] = {k: v for k, v in fixed["customer"].items()
                                     if k != "phone"}
            choices.append(fixed)
        if "payment" in body:
            choices += [{**body, "payment": i} for i in ids["pay"]]
        if "endpoint" in body:
            choices += [{**body, "endpoint": i} for i in ids["we"]]
        if "url" in body:
            choices.append({**body, "url": "http://127.0.0.1:9/hooks"})
        return _sometimes(body, choices)


# The document fuzzed: the one a test app serves (built once at import; the app opens no
# connection). The requests go to each test's own app (its own emptied database):
# ``case.call(app=...)``; ``test_the_fuzzed_document_is_the_served_one`` checks that the
# document is the one that app serves.
_DOCUMENT_APP = make_test_app("sqlite://", "redis://127.0.0.1:6379/15")


def _load(app):
    return schemathesis.openapi.from_wsgi(DOCUMENT, app,
                                          config=schemathesis.Config.from_dict(CONFIG))


schema_with_key = _load(_DOCUMENT_APP)
schema_without_key = _load(_DOCUMENT_APP)
_install_hooks(schema_with_key)


@pytest.fixture
def fuzz_with_key(app, client, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", _fake_resolve)
    merchant = make_merchant(name="Fuzzed Shop")
    run = FuzzRun(app, merchant.auth)
    Objects.ids = _merchant_objects(client, merchant)
    yield run
    Objects.ids = {}
    run.report("valid key")
    for label, statuses in run.statuses.items():
        if label not in NEVER_2XX:
            assert any(200 <= s < 300 for s in statuses), \
                f"{label}: the fuzzer never got a 2xx ({dict(statuses)})"


@pytest.fixture
def fuzz_without_key(app, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", _fake_resolve)
    # Unauthenticated requests are cut off per address after a few a minute (429):
    # lifted here so that every route is seen answering its own 401.
    app.config["AUTH_FAILURES_PER_MINUTE"] = 10 ** 9
    make_merchant(name="Bystander Shop")
    run = FuzzRun(app, {})
    yield run
    run.report("no key")


def _call(run, case):
    response = case.call_and_validate(headers=run.headers, checks=CHECKS, app=run.app)
    label = f"{case.operation.method.upper()} {case.operation.path}"
    run.statuses[label][response.status_code] += 1
    if response.status_code >= 400:
        run.codes[label][(response.json() or {}).get("error", {}).get("code")] += 1
    return label, response


@schema_with_key.parametrize()
@SETTINGS
def test_fuzz_with_a_valid_key(case, fuzz_with_key):
    label, response = _call(fuzz_with_key, case)
    assert response.status_code != 401, f"{label}: a valid key was refused"
    assert response.status_code != 429, \
        f"{label}: rate-limited (another test run on this Redis database? TEST_REDIS_URL)"


@schema_without_key.parametrize()
@SETTINGS
def test_fuzz_without_a_key(case, fuzz_without_key):
    assert not case.headers or "Authorization" not in case.headers
    label, response = _call(fuzz_without_key, case)
    if case.method.upper() != case.operation.method.upper():
        # The coverage phase also tries other methods: 405, or HEAD/OPTIONS (which Flask
        # answers for every route) refused like the route itself.
        assert response.status_code in (401, 405), f"{case.method} {label}"
    else:
        assert response.status_code == 401, \
            f"{label}: answered {response.status_code} without a key"


def test_the_fuzzed_document_is_the_served_one(app):
    served = _load(app)
    assert served.raw_schema == schema_with_key.raw_schema == schema_without_key.raw_schema
    labels = {op.ok().label for op in served.get_all_operations()}
    assert labels and labels == {op.ok().label for op in schema_with_key.get_all_operations()}
