"""Fixtures of the merchant API tests: a JSON client bound to a merchant's key (bodies
and payments come from ``tests.factories``; ``counts`` from the root conftest)."""
import pytest


class Api:
    """``api.post("/checkouts", {...})`` -> response, with the merchant's key."""

    def __init__(self, client, merchant):
        self.client, self.merchant = client, merchant

    def post(self, path, body=None, key=None, headers=None, raw=None, **kw):
        h = dict(self.merchant.auth)
        if key is not None:
            h["Idempotency-Key"] = key
        h.update(headers or {})
        if raw is not None:
            return self.client.post("/api/v1" + path, data=raw, headers=h, **kw)
        return self.client.post("/api/v1" + path, json=body, headers=h, **kw)

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self.merchant.auth, **kw)


@pytest.fixture
def api(client, merchant):
    return Api(client, merchant)


@pytest.fixture
def other_api(client, make_merchant):
    return Api(client, make_merchant(name="Other Shop", return_hosts=("other.example",)))
