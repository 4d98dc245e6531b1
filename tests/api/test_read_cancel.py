"""Retrieve, list (paging), cancel, and merchant isolation."""
import pytest

from checkout.extensions import db
from checkout.models import Checkout
from tests.factories import add_payment, checkout_body, live_auth


def _make(api, n, prefix="O"):
    return [api.post("/checkouts", checkout_body(order_id=f"{prefix}-{i}")).json["id"]
            for i in range(n)]


def test_retrieve_has_every_attempt_and_the_paid_one(api):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    failed = add_payment(cs, outcome="failed")
    paid = add_payment(cs, outcome="succeeded")
    r = api.get(f"/checkouts/{cs}")
    assert r.status_code == 200
    body = r.json
    assert body["status"] == "paid" and body["payment"]["id"] == paid
    assert [p["id"] for p in body["payments"]] == [failed, paid]
    assert [p["status"] for p in body["payments"]] == ["failed", "succeeded"]
    assert body["payments"][0]["phone"] == "+229 01 90 ** ** 01"


def test_unknown_checkout_is_404(api):
    r = api.get("/checkouts/cs_doesnotexist")
    assert r.status_code == 404 and r.json["error"]["code"] == "resource_missing"


def test_another_merchants_checkout_is_404_with_no_data(api, other_api, counts):
    cs = api.post("/checkouts", checkout_body(metadata={"secret": "s3"})).json["id"]
    pay = add_payment(cs)
    before = counts()
    for r in (other_api.get(f"/checkouts/{cs}"), other_api.post(f"/checkouts/{cs}/cancel"),
              other_api.get(f"/payments/{pay}"), other_api.post(f"/payments/{pay}/confirm"),
              other_api.post("/refunds", {"payment": pay})):
        assert r.status_code == 404, r.json
        assert set(r.json) == {"error"}
        assert "s3" not in r.get_data(as_text=True) and "A-1001" not in r.get_data(as_text=True)
    listed = other_api.get("/checkouts").json
    assert listed["data"] == [] and other_api.get("/payments").json["data"] == []
    assert other_api.get(f"/payments?checkout={cs}").json["data"] == []
    assert other_api.get(f"/checkouts?starting_after={cs}").status_code == 400
    assert counts() == before


def test_list_pages_newest_first(api):
    ids = _make(api, 5)
    newest_first = list(reversed(ids))
    page1 = api.get("/checkouts?limit=2").json
    assert page1["object"] == "list" and page1["has_more"] is True
    assert [c["id"] for c in page1["data"]] == newest_first[:2]
    page2 = api.get(f"/checkouts?limit=2&starting_after={page1['data'][-1]['id']}").json
    assert [c["id"] for c in page2["data"]] == newest_first[2:4] and page2["has_more"] is True
    page3 = api.get(f"/checkouts?limit=2&starting_after={page2['data'][-1]['id']}").json
    assert [c["id"] for c in page3["data"]] == newest_first[4:] and page3["has_more"] is False
    assert len(api.get("/checkouts").json["data"]) == 5


def test_list_filters(api):
    ids = _make(api, 3)
    api.post(f"/checkouts/{ids[0]}/cancel")
    canceled = api.get("/checkouts?status=canceled").json["data"]
    assert [c["id"] for c in canceled] == [ids[0]]
    assert [c["id"] for c in api.get("/checkouts?status=open").json["data"]] == ids[:0:-1]
    assert [c["id"] for c in api.get("/checkouts?order_id=O-1").json["data"]] == [ids[1]]


@pytest.mark.parametrize("query,param", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"),
    ("status=done", "status"), ("starting_after=cs_nope", "starting_after"),
    ("stauts=open", "stauts"),
])
def test_list_bad_query(api, query, param):
    r = api.get(f"/checkouts?{query}")
    assert r.status_code == 400 and r.json["error"]["param"] == param


def test_cancel_an_open_checkout(api):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    r = api.post(f"/checkouts/{cs}/cancel")
    assert r.status_code == 200 and r.json["status"] == "canceled"
    assert r.json["completed_at"] is not None
    again = api.post(f"/checkouts/{cs}/cancel")
    assert again.status_code == 200 and again.json["status"] == "canceled"


@pytest.mark.parametrize("outcome,status", [(None, "processing"), ("succeeded", "paid")])
def test_cancel_is_refused_while_a_payment_is_pending_or_made(api, counts, outcome, status):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    add_payment(cs, outcome=outcome)
    before = counts()
    r = api.post(f"/checkouts/{cs}/cancel")
    assert r.status_code == 409 and r.json["error"]["code"] == "checkout_not_cancelable"
    assert db.session.get(Checkout, cs).status == status
    assert counts() == before


def test_cancel_after_a_failed_attempt_is_allowed(api):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    add_payment(cs, outcome="failed")
    assert api.post(f"/checkouts/{cs}/cancel").json["status"] == "canceled"


def test_cancel_unknown_is_404(api, counts):
    before = counts()
    assert api.post("/checkouts/cs_nope/cancel").status_code == 404
    assert counts() == before


def test_a_live_key_sees_nothing_of_test_mode(api, client, merchant):
    live = live_auth(merchant)
    cs = api.post("/checkouts", checkout_body()).json["id"]
    assert client.get(f"/api/v1/checkouts/{cs}", headers=live).status_code == 404
    assert client.get("/api/v1/checkouts", headers=live).json["data"] == []
    # Live mode: https only, and only what live gateway accounts offer (none here).
    r = client.post("/api/v1/checkouts", headers=live,
                    json=checkout_body(return_url="http://shop.example/x"))
    assert r.status_code == 400 and r.json["error"]["code"] == "return_url_invalid"
    r = client.post("/api/v1/checkouts", headers=live, json=checkout_body())
    assert r.status_code == 400 and r.json["error"]["code"] == "no_method_available"
    assert db.session.query(Checkout).count() == 1
