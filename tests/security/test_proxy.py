"""Attack 8: forged proxy headers. With no trusted proxy (the default), X-Forwarded-For
and X-Forwarded-Proto are ignored: a client cannot pick its address (and so escape the
per-address limits) or pretend to be on https. With one trusted hop, the proxy's word is
taken."""
from tests.conftest import make_test_app


def _whoami(app):
    @app.get("/_test/whoami")
    def whoami():
        from flask import request  # noqa: PLC0415 - test-only view
        return {"addr": request.remote_addr, "secure": request.is_secure}
    return app.test_client()


FORGED = {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"}


def test_forged_forwarded_headers_are_ignored_by_default(pg_database, redis_url):
    app = make_test_app(pg_database, redis_url)
    assert app.config["TRUSTED_PROXY_HOPS"] == 0
    r = _whoami(app).get("/_test/whoami", headers=FORGED,
                         environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert r.json == {"addr": "203.0.113.5", "secure": False}


def test_forged_headers_cannot_escape_the_failed_auth_limit(app, client):
    app.config["AUTH_FAILURES_PER_MINUTE"] = 2
    guess = {"Authorization": "Bearer sk_test_" + "x" * 32}
    codes = [client.get("/api/v1/checkouts", environ_base={"REMOTE_ADDR": "203.0.113.5"},
                        headers={**guess, "X-Forwarded-For": f"198.51.100.{i}"}).status_code
             for i in range(4)]
    assert codes == [401, 401, 429, 429]


def test_one_trusted_proxy_is_believed(pg_database, redis_url):
    app = make_test_app(pg_database, redis_url, TRUSTED_PROXY_HOPS=1, ENV="production",
                        CHECKOUT_ENCRYPTION_KEY="k" * 32)
    client = _whoami(app)
    r = client.get("/_test/whoami", headers=FORGED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert r.json == {"addr": "198.51.100.1", "secure": True}
    assert "Strict-Transport-Security" in r.headers
    plain = client.get("/_test/whoami", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert "Strict-Transport-Security" not in plain.headers
