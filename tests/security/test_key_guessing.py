"""Attack 5: guessing API keys. Failed authentications are limited per client address
(429 + Retry-After, logged); other addresses and valid keys are not affected."""
import logging


def test_guessing_keys_is_cut_off_per_address(app, client, merchant, caplog):
    app.config["AUTH_FAILURES_PER_MINUTE"] = 5
    guess = {"Authorization": "Bearer sk_test_" + "x" * 32}
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    with caplog.at_level(logging.WARNING, logger="checkout.api.ratelimit"):
        codes = [client.get("/api/v1/checkouts", headers=guess, environ_base=attacker)
                 .status_code for _ in range(5)]
        blocked = client.get("/api/v1/checkouts", headers=guess, environ_base=attacker)
    assert codes == [401] * 5
    assert blocked.status_code == 429
    assert blocked.json["error"]["code"] == "too_many_failed_authentications"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # Even the right key waits out the minute from that address: no oracle for guesses.
    assert client.get("/api/v1/checkouts", headers=merchant.auth,
                      environ_base=attacker).status_code == 429
    assert client.get("/api/v1/checkouts", headers=merchant.auth,
                      environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200
    assert any("203.0.113.0/24" in str(getattr(r, "client", "")) for r in caplog.records)
    assert "203.0.113.7" not in caplog.text


def test_valid_requests_do_not_count_as_failures(app, client, merchant):
    app.config["AUTH_FAILURES_PER_MINUTE"] = 2
    for _ in range(5):
        assert client.get("/api/v1/checkouts", headers=merchant.auth).status_code == 200
