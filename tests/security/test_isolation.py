"""Every merchant API route, with another merchant's key and with the other mode's key:
merchant A's test-mode objects are invisible (404, or lists without them) and untouched.

``ROUTES`` has one row per route of the app under ``/api/v1`` (read from ``app.url_map``,
the public OpenAPI document aside): ``test_every_api_route_has_a_row`` fails for a new
route until it has its row. Each row names A's object that the request aims at and what
the answer must be:

- ``"404"``: the object is not found (another merchant's or mode's ids look like ids that
  do not exist);
- ``"list"``: 200, and no item is one of A's objects (with the live key: no item at all);
  a ``starting_after`` of A's is refused like an unknown id;
- ``"create"``: the caller gets its own new object (or a refusal), never A's back.

After every request A's whole state, as A's own key reads it (every list, every object,
the deliveries), is exactly what it was.
"""
import uuid
from dataclasses import dataclass

import pytest

from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Refund
from checkout.webhooks_out import ssrf
from tests.factories import add_payment, checkout_body, live_auth, make_merchant

API = "/api/v1"
PUBLIC = {"/api/v1/openapi.json"}
SINCE = {"since": "2020-01-01T00:00:00Z"}


@dataclass(frozen=True)
class Row:
    target: str | None            # A's object in the path (<...>) or the body: a World.ids key
    expect: str                   # "404", "list" or "create"
    body: object = None           # dict, or callable(world, caller) -> dict
    queries: tuple = ({},)        # for lists: each query string tried
    param: str | None = None      # the 404's error param when it is not the path's id


ROUTES = {
    ("POST", "/api/v1/checkouts"): Row(
        "checkout", "create",
        body=lambda w, c: checkout_body(order_id=w.order_id, amount=7000)),
    ("GET", "/api/v1/checkouts"): Row(
        "checkout", "list",
        queries=({}, {"order_id": "{order_id}"}, {"status": "open"},
                 {"starting_after": "{checkout}"})),
    ("GET", "/api/v1/checkouts/<checkout_id>"): Row("checkout", "404"),
    ("POST", "/api/v1/checkouts/<checkout_id>/cancel"): Row("checkout", "404"),
    ("GET", "/api/v1/payments"): Row(
        "cash_payment", "list",
        queries=({}, {"checkout": "{cash_checkout}"}, {"status": "pending"},
                 {"starting_after": "{cash_payment}"})),
    ("GET", "/api/v1/payments/<payment_id>"): Row("paid_payment", "404"),
    ("POST", "/api/v1/payments/<payment_id>/confirm"): Row("cash_payment", "404"),
    ("POST", "/api/v1/refunds"): Row(
        "paid_payment", "404", param="payment",
        body=lambda w, c: {"payment": w.ids["paid_payment"], "amount": 1000}),
    ("GET", "/api/v1/refunds"): Row(
        "refund", "list",
        queries=({}, {"payment": "{paid_payment}"}, {"starting_after": "{refund}"})),
    ("GET", "/api/v1/refunds/<refund_id>"): Row("refund", "404"),
    ("POST", "/api/v1/webhook_endpoints"): Row(
        "endpoint", "create", body=lambda w, c: {"url": w.endpoint_url}),
    ("GET", "/api/v1/webhook_endpoints"): Row(
        "endpoint", "list", queries=({}, {"starting_after": "{endpoint}"})),
    ("GET", "/api/v1/webhook_endpoints/<endpoint_id>"): Row("endpoint", "404"),
    ("POST", "/api/v1/webhook_endpoints/<endpoint_id>"): Row(
        "endpoint", "404",
        body={"url": "http://127.0.0.1:9/stolen", "enabled": False, "description": "mine"}),
    ("DELETE", "/api/v1/webhook_endpoints/<endpoint_id>"): Row("endpoint", "404"),
    ("POST", "/api/v1/webhook_endpoints/<endpoint_id>/rotate_secret"): Row("endpoint", "404"),
    ("POST", "/api/v1/webhook_endpoints/<endpoint_id>/redeliver_failed"): Row(
        "endpoint", "404", body=SINCE),
    ("GET", "/api/v1/events"): Row(
        "event", "list",
        queries=({}, {"type": "checkout.paid"}, {"type": "checkout.*"},
                 {"starting_after": "{event}"})),
    ("GET", "/api/v1/events/<event_id>"): Row("event", "404"),
    ("GET", "/api/v1/methods"): Row(
        "checkout", "list", queries=({}, {"currency": "XOF"},
                                     {"currency": "XOF", "country": "BJ", "amount": "5000"})),
    ("GET", "/api/v1/events/<event_id>/deliveries"): Row("event", "404"),
    ("POST", "/api/v1/events/<event_id>/redeliver"): Row(
        "event", "404", body=lambda w, c: {"endpoint": w.own_endpoint(c)}),
}


class World:
    """Merchant A with one of everything in test mode (made through the API where the API
    makes it), merchant B with its own, and a live key of A."""

    def __init__(self, client):
        self.client = client
        self.a = make_merchant(name="Alice Shop", return_hosts=("shop.example",))
        self.b = make_merchant(name="Bob Shop", return_hosts=("shop.example",))
        self.order_id = "ISO-" + uuid.uuid4().hex[:6]
        self.endpoint_url = "http://127.0.0.1:9/alice"
        ids = self.ids = {}
        ids["endpoint"] = self._post(self.a, "/webhook_endpoints",
                                     {"url": self.endpoint_url})["id"]
        ids["checkout"] = self._post(self.a, "/checkouts",
                                     checkout_body(order_id=self.order_id))["id"]
        ids["cash_checkout"] = self._post(self.a, "/checkouts",
                                          checkout_body(order_id=self.order_id + "-cash"))["id"]
        ids["cash_payment"] = add_payment(ids["cash_checkout"], "cod")
        ids["paid_checkout"] = self._post(self.a, "/checkouts",
                                          checkout_body(order_id=self.order_id + "-paid"))["id"]
        ids["paid_payment"] = add_payment(ids["paid_checkout"], outcome="succeeded")
        refund = Refund(id=new_id("re"), payment_id=ids["paid_payment"], merchant_id=self.a.id,
                        livemode=False, amount=1000, currency="XOF", status="succeeded",
                        reason="isolation", created_at=utcnow(), completed_at=utcnow())
        db.session.add(refund)
        db.session.commit()
        ids["refund"] = refund.id
        [event] = self._get(self.a, "/events")["data"]
        ids["event"] = event["id"]
        assert self._get(self.a, f"/events/{event['id']}/deliveries")["data"], "no delivery"
        # B's own objects, for requests that pair them with A's.
        self.b_endpoint = self._post(self.b, "/webhook_endpoints",
                                     {"url": "http://127.0.0.1:9/bob"})["id"]
        bob_cs = self._post(self.b, "/checkouts", checkout_body(order_id="BOB-1"))["id"]
        add_payment(bob_cs, outcome="succeeded")
        [self.b_event] = [e["id"] for e in self._get(self.b, "/events")["data"]]
        self.callers = {"other merchant": self.b.auth, "live key": live_auth(self.a)}

    def own_endpoint(self, caller):
        return self.b_endpoint if caller == "other merchant" else self.ids["endpoint"]

    def _post(self, merchant, path, body):
        r = self.client.post(API + path, json=body, headers=merchant.auth)
        assert r.status_code in (200, 201), r.get_json()
        return r.get_json()

    def _get(self, merchant, path):
        r = self.client.get(API + path, headers=merchant.auth)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def a_state(self):
        """Everything A's own test key can read."""
        ids, state = self.ids, {}
        for path in ("/checkouts", "/payments", "/refunds", "/webhook_endpoints", "/events"):
            state[path] = self._get(self.a, path + "?limit=100")
        for path in (f"/checkouts/{ids['checkout']}", f"/checkouts/{ids['cash_checkout']}",
                     f"/checkouts/{ids['paid_checkout']}", f"/payments/{ids['cash_payment']}",
                     f"/payments/{ids['paid_payment']}", f"/refunds/{ids['refund']}",
                     f"/webhook_endpoints/{ids['endpoint']}", f"/events/{ids['event']}",
                     f"/events/{ids['event']}/deliveries"):
            state[path] = self._get(self.a, path)
        return state

    def a_ids(self):
        return set(self.ids.values())


@pytest.fixture
def world(app, client, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["127.0.0.1"])
    return World(client)


def api_routes(app):
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(API + "/") and rule.rule not in PUBLIC
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_api_route_has_a_row(app):
    routes = api_routes(app)
    assert routes, "no API route found"
    assert sorted(routes - set(ROUTES)) == [], "routes without an isolation row"
    assert sorted(set(ROUTES) - routes) == [], "rows for routes that no longer exist"


def _path(rule, world, row):
    if "<" not in rule:
        return rule
    head, _, rest = rule.partition("<")
    _, _, tail = rest.partition(">")
    return head + world.ids[row.target] + tail


def _query(query, world):
    fields = {**world.ids, "order_id": world.order_id}
    return {k: v.format(**fields) for k, v in query.items()}


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_another_merchant_or_mode_cannot_see_or_touch_the_object(world, client, route):
    before = world.a_state()
    for caller in ("other merchant", "live key"):
        _check(world, client, route, caller)
        assert world.a_state() == before, f"{caller}: A's objects changed"


def _check(world, client, route, caller):
    method, rule = route
    row = ROUTES[route]
    headers = dict(world.callers[caller])
    live = caller == "live key"
    path = _path(rule, world, row)
    body = row.body(world, caller) if callable(row.body) else row.body
    for n, query in enumerate(row.queries):
        if method != "GET":
            headers["Idempotency-Key"] = f"iso-{caller}-{n}"
        r = client.open(path, method=method, headers=headers, query_string=_query(query, world),
                        json=body if method == "POST" else None)
        data, where = r.get_json(), (caller, path, query)
        if row.expect == "404":
            assert r.status_code == 404, (where, data)
            assert data["error"]["code"] == "resource_missing"
            assert data["error"]["param"] == (row.param or "id")
        elif row.expect == "list" and "starting_after" in query:
            assert r.status_code == 400, (where, data)
            assert data["error"]["param"] == "starting_after"
        elif row.expect == "list":
            assert r.status_code == 200, (where, data)
            got = {item["id"] for item in data["data"]}
            assert not got & world.a_ids(), where
            assert all(item["livemode"] is live for item in data["data"]), where
            if live:
                assert data["data"] == [], where
        else:   # create: the caller's own object, or a refusal; never A's
            assert r.status_code in (201, 400), (where, data)
            if r.status_code == 201:
                assert data["id"] not in world.a_ids() and data["livemode"] is live, where
                assert r.headers.get("Idempotent-Replayed") is None, where


def test_an_idempotency_key_of_a_is_nobody_elses(world, client):
    """The same Idempotency-Key and body from B or from A's live key is a new request of
    its own, never A's stored answer replayed."""
    body = checkout_body(order_id="IDEM-1")
    key = {"Idempotency-Key": "same-key-for-everyone"}
    mine = client.post(f"{API}/checkouts", json=body, headers={**world.a.auth, **key})
    assert mine.status_code == 201
    theirs = client.post(f"{API}/checkouts", json=body, headers={**world.b.auth, **key})
    assert theirs.status_code == 201 and theirs.headers.get("Idempotent-Replayed") is None
    assert theirs.get_json()["id"] != mine.get_json()["id"]
    live = client.post(f"{API}/checkouts", json=body,
                       headers={**world.callers["live key"], **key})
    assert live.headers.get("Idempotent-Replayed") is None
    assert live.status_code in (201, 400)
    if live.status_code == 201:
        assert live.get_json()["id"] != mine.get_json()["id"]


def test_own_object_with_another_merchants_reference_is_a_404(world, client):
    """B's own event redelivered to A's endpoint; B's payments filtered by A's checkout."""
    before = world.a_state()
    r = client.post(f"{API}/events/{world.b_event}/redeliver", headers=world.b.auth,
                    json={"endpoint": world.ids["endpoint"]})
    assert r.status_code == 404 and r.get_json()["error"]["param"] == "endpoint"
    r = client.get(f"{API}/payments", headers=world.b.auth,
                   query_string={"checkout": world.ids["paid_checkout"]})
    assert r.status_code == 200 and r.get_json()["data"] == []
    assert world.a_state() == before
