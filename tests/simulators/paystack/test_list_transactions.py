"""Paystack simulator, List Transactions (``GET /paystack/transaction``), through its
Flask test client: the account's transactions, newest first, ``from``/``to`` and
``status`` filters, pages with Paystack's ``meta``; and the _sim control that records a
transaction made outside our product."""
import pytest

from checkout.simulators import close, create_simulator_app

KEY = "sk_test_list_key_1"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def sim():
    app = create_simulator_app({"delay_seconds": 0.2})
    client = app.test_client()
    assert client.put("/paystack/_sim/accounts/acct_list",
                      json={"secret_key": KEY, "webhook_url": None}).status_code == 201
    yield client
    close(app)


def record(sim, **fields):
    body = {"account": "acct_list", "amount": 150000, "currency": "NGN", "status": "success",
            **fields}
    resp = sim.post("/paystack/_sim/transactions", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def listing(sim, **query):
    resp = sim.get("/paystack/transaction", query_string=query, headers=AUTH)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_the_list_is_newest_first_with_verify_shaped_rows_and_meta(sim):
    record(sim, reference="old-1", created_at="2026-01-01T08:00:00Z")
    record(sim, reference="new-2", created_at="2026-01-01T09:00:00Z", status="failed",
           amount=2500)
    body = listing(sim)
    assert (body["status"], body["message"]) == (True, "Transactions retrieved")
    assert [t["reference"] for t in body["data"]] == ["new-2", "old-1"]
    new, old = body["data"]
    assert (new["status"], new["amount"], new["currency"], new["domain"]) == \
        ("failed", 2500, "NGN", "test")
    assert (old["status"], old["created_at"]) == ("success", "2026-01-01T08:00:00.000Z")
    assert body["meta"] == {"total": 2, "skipped": 0, "perPage": 50, "page": 1,
                            "pageCount": 1}


def test_from_to_and_status_filter_and_pages_split(sim):
    for hour in range(5):
        record(sim, reference=f"r{hour}", created_at=f"2026-01-01T0{hour}:00:00Z")
    record(sim, reference="next-day", created_at="2026-01-02T00:00:00Z")
    record(sim, reference="failed-1", created_at="2026-01-01T06:00:00Z", status="failed")
    window = {"from": "2026-01-01T00:00:00.000Z", "to": "2026-01-02T00:00:00.000Z"}
    first = listing(sim, perPage=2, page=1, status="success", **window)
    assert [t["reference"] for t in first["data"]] == ["r4", "r3"]
    assert first["meta"] == {"total": 5, "skipped": 0, "perPage": 2, "page": 1,
                             "pageCount": 3}
    last = listing(sim, perPage=2, page=3, status="success", **window)
    assert [t["reference"] for t in last["data"]] == ["r0"]
    assert last["meta"]["skipped"] == 4
    by_date = listing(sim, **{"from": "2026-01-02", "to": "2026-01-02"})
    assert [t["reference"] for t in by_date["data"]] == ["next-day"]


def test_only_the_keys_own_transactions_are_listed(sim):
    sim.put("/paystack/_sim/accounts/acct_other",
            json={"secret_key": "sk_test_other_key", "webhook_url": None})
    record(sim, reference="mine")
    record(sim, reference="theirs", account="acct_other")
    assert [t["reference"] for t in listing(sim)["data"]] == ["mine"]


@pytest.mark.parametrize("query, status", [
    ({"perPage": "x"}, 400), ({"from": "last tuesday"}, 400), ({"status": "paid"}, 400)])
def test_bad_queries_are_refused(sim, query, status):
    resp = sim.get("/paystack/transaction", query_string=query, headers=AUTH)
    assert resp.status_code == status and resp.get_json()["status"] is False


def test_the_list_needs_the_secret_key(sim):
    assert sim.get("/paystack/transaction").status_code == 401
    assert sim.get("/paystack/transaction",
                   headers={"Authorization": "Bearer sk_test_nope"}).status_code == 401


def test_the_record_control_refuses_what_it_cannot_hold(sim):
    assert sim.post("/paystack/_sim/transactions",
                    json={"account": "acct_list", "amount": 1, "status": "paid"}
                    ).status_code == 400
    assert sim.post("/paystack/_sim/transactions",
                    json={"account": "nobody", "amount": 1, "status": "success"}
                    ).status_code == 404
    record(sim, reference="dup")
    assert sim.post("/paystack/_sim/transactions",
                    json={"account": "acct_list", "amount": 1, "status": "success",
                          "reference": "dup"}).status_code == 400
