"""Per-API-key rate limit in Redis."""
import logging

from checkout.api import ratelimit
from tests.factories import checkout_body


def test_over_the_limit_is_429_with_retry_after(app, api, other_api, counts, redis_conn):
    app.config["RATE_LIMIT_PER_MINUTE"] = 3
    seen = []
    for _ in range(3):
        r = api.get("/checkouts")
        assert r.status_code == 200
        seen.append(int(r.headers["X-RateLimit-Remaining"]))
        assert r.headers["X-RateLimit-Limit"] == "3"
    assert seen == [2, 1, 0]
    before = counts()
    r = api.post("/checkouts", checkout_body())
    assert r.status_code == 429
    assert r.json["error"]["code"] == "rate_limited"
    assert r.json["error"]["type"] == "rate_limit_error"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert counts() == before
    # Another key has its own budget.
    assert other_api.get("/checkouts").status_code == 200


def test_the_openapi_document_is_not_limited_nor_authenticated(app, client):
    app.config["RATE_LIMIT_PER_MINUTE"] = 1
    for _ in range(3):
        assert client.get("/api/v1/openapi.json").status_code == 200


def test_redis_down_lets_requests_through(app, api, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(ratelimit, "_redis_down_until", {})
    app.config["RATE_LIMIT_PER_MINUTE"] = 1
    with caplog.at_level(logging.WARNING, logger="checkout.api.ratelimit"):
        for _ in range(3):
            r = api.get("/checkouts")
            assert r.status_code == 200
            assert r.headers["X-RateLimit-Limit"] == "1"
            assert "X-RateLimit-Remaining" not in r.headers
    # One warning, then Redis is left alone for a few seconds.
    assert len([rec for rec in caplog.records if "Redis unreachable" in rec.getMessage()]) == 1
