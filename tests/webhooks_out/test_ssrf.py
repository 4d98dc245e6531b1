"""Where webhooks may go: the address classifier, URL rules, the check at creation and
again at send time (DNS rebinding), and the connection made to the checked address."""
import pytest

from checkout.webhooks_out import jobs, ssrf, transport
from tests.factories import live_auth

from .support import attempts, cancel, deliveries


@pytest.mark.parametrize("address, reason", [
    ("8.8.8.8", None), ("93.184.216.34", None), ("2606:4700::1111", None),
    ("2a00:1450:4007:80e::200e", None),
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("192.168.1.1", "private"), ("fd12:3456::1", "private"), ("fc00::1", "private"),
    ("100.64.0.1", "cgnat"), ("100.127.255.254", "cgnat"),
    ("169.254.1.1", "link_local"), ("fe80::1", "link_local"), ("fe80::1%eth0", "link_local"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("198.18.0.1", "reserved"),
    ("192.0.0.8", "reserved"), ("2001::1", "reserved"), ("fec0::1", "reserved"),
    ("::ffff:0:1", "unspecified"), ("100::1", "reserved"), ("4000::1", "reserved"),
    ("192.0.2.1", "documentation"), ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"), ("2001:db8::1", "documentation"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"), ("168.63.129.16", "metadata"),
    # IPv4 inside IPv6: mapped, NAT64, 6to4 and the deprecated compatible form.
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:7f00:1", "loopback"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "metadata"),
    ("::ffff:8.8.8.8", None), ("64:ff9b::a00:1", "private"), ("64:ff9b::808:808", None),
    ("2002:7f00:1::1", "loopback"), ("2002:a9fe:a9fe::1", "metadata"),
    ("::127.0.0.1", "reserved"),
])
def test_classify(address, reason):
    assert ssrf.classify(address) == reason


def test_classify_rejects_non_addresses():
    with pytest.raises(ValueError):
        ssrf.classify("localhost")


@pytest.mark.parametrize("url, livemode, code", [
    ("ftp://shop.example/hooks", False, "url_invalid"),
    ("file:///etc/passwd", False, "url_invalid"),
    ("gopher://127.0.0.1:6379/_", False, "url_invalid"),
    ("http://shop.example/hooks", True, "url_insecure"),
    ("https://user:pw@shop.example/hooks", True, "url_invalid"),
    ("https://shop.example@127.0.0.1/hooks", True, "url_invalid"),
    ("https://shop.example/hooks#x", True, "url_invalid"),
    ("https://shop.example/ho oks", True, "url_invalid"),
    ("https://shop.example\\@evil/", True, "url_invalid"),
    ("https:///hooks", True, "url_invalid"),
    ("https://shop.example:99999/", True, "url_invalid"),
    ("https://shop.example:0/", True, "url_invalid"),
    ("https://shop.example/" + "a" * 2000, True, "url_invalid"),
    ("", False, "url_invalid"),
    (42, False, "url_invalid"),
])
def test_url_shape_rules(url, livemode, code):
    with pytest.raises(ssrf.UnsafeUrl) as err:
        ssrf.parse(url, livemode)
    assert err.value.code == code


def test_parse_keeps_host_port_path_and_query():
    t = ssrf.parse("https://Hooks.Shop.Example:8443/a/b?x=1&y=2", True)
    assert (t.scheme, t.host, t.port, t.path) == ("https", "hooks.shop.example", 8443,
                                                  "/a/b?x=1&y=2")
    assert ssrf.parse("http://[::1]/", False).host == "::1"
    assert ssrf.parse("https://bücher.example/", True).host == "xn--bcher-kva.example"


@pytest.fixture
def dns(monkeypatch):
    """A fake resolver: ``dns["host"] = ["1.2.3.4"]``."""
    table = {}

    def resolve(host, port):
        if host in table:
            return list(table[host])
        try:
            ssrf.classify(host)
            return [host]
        except ValueError:
            raise OSError("no such host") from None
    monkeypatch.setattr(ssrf, "resolve", resolve)
    return table


def test_pin_requires_every_address_to_be_allowed(app, dns):
    dns["hooks.shop.example"] = ["93.184.216.34", "10.0.0.5"]
    with pytest.raises(ssrf.UnsafeUrl, match="private"):
        ssrf.pin("https://hooks.shop.example/", True, app.config)
    dns["hooks.shop.example"] = ["93.184.216.34"]
    assert ssrf.pin("https://hooks.shop.example/", True, app.config).address == "93.184.216.34"
    with pytest.raises(ssrf.UnsafeUrl) as err:
        ssrf.pin("https://nowhere.example/", True, app.config)
    assert err.value.code == "url_unresolvable"
    assert ssrf.pin("http://nowhere.example/", False, app.config,
                    require_resolution=False).address is None


@pytest.mark.parametrize("development,opted_in,local_allowed", [
    (False, False, False),     # a production install: a test key reaches nothing local
    (False, True, True),       # ... unless the operator opted in
    (True, False, True),       # a development install
])
def test_test_mode_targets_local_addresses_only_in_development_or_when_allowed(
        app, dns, development, opted_in, local_allowed):
    app.config.update(DEVELOPMENT=development, WEBHOOK_ALLOW_PRIVATE_TARGETS=opted_in)
    for url, address in (("http://127.0.0.1:8000/h", "127.0.0.1"),
                         ("http://[::1]:8000/h", "::1"), ("http://10.0.0.1/", "10.0.0.1")):
        if local_allowed:
            assert ssrf.pin(url, False, app.config).address == address
        else:
            with pytest.raises(ssrf.UnsafeUrl) as err:
                ssrf.pin(url, False, app.config)
            assert err.value.code == "url_forbidden"
    for url in ("http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:5000/",
                "http://[::ffff:169.254.169.254]/"):
        with pytest.raises(ssrf.UnsafeUrl):
            ssrf.pin(url, False, app.config)
    for url in ("https://127.0.0.1/", "https://10.0.0.1/", "https://[::1]/"):
        with pytest.raises(ssrf.UnsafeUrl):
            ssrf.pin(url, True, app.config)


def test_live_endpoint_resolving_to_loopback_is_refused_at_creation(app, client, merchant,
                                                                    dns):
    auth = live_auth(merchant.id)
    dns["hooks.shop.example"] = ["127.0.0.1"]
    resp = client.post("/api/v1/webhook_endpoints", headers=auth,
                       json={"url": "https://hooks.shop.example/webhooks"})
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert (err["code"], err["param"]) == ("url_forbidden", "url")
    assert "loopback" in err["message"]
    dns["hooks.shop.example"] = ["::ffff:127.0.0.1"]
    resp = client.post("/api/v1/webhook_endpoints", headers=auth,
                       json={"url": "https://hooks.shop.example/webhooks"})
    assert resp.status_code == 400
    resp = client.post("/api/v1/webhook_endpoints", headers=auth,
                       json={"url": "http://127.0.0.1:9/webhooks"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "url_insecure"


def test_live_endpoint_rebound_to_loopback_is_refused_at_send(app, client, merchant, dns,
                                                               receiver, fast):
    auth = live_auth(merchant.id)
    dns["hooks.shop.example"] = ["93.184.216.34"]
    resp = client.post("/api/v1/webhook_endpoints", headers=auth,
                       json={"url": f"https://hooks.shop.example:{receiver.server.server_port}/"})
    assert resp.status_code == 201 and resp.get_json()["livemode"] is True
    live_id = resp.get_json()["id"]
    # The test key does not see the live endpoint, the live key does.
    assert client.get(f"/api/v1/webhook_endpoints/{live_id}",
                      headers=merchant.auth).status_code == 404
    assert client.get(f"/api/v1/webhook_endpoints/{live_id}", headers=auth).status_code == 200
    dns["hooks.shop.example"] = ["127.0.0.1"]           # the DNS answer changes
    cancel(merchant.id, livemode=True)
    [d] = deliveries()
    assert d.livemode
    assert jobs.deliver(d.id) == "failed"
    [a] = attempts(d.id)
    assert a.error.startswith("not sent:") and "loopback" in a.error
    assert a.status_code is None
    assert receiver.requests == []


def test_the_sender_connects_to_the_checked_address(receiver):
    target = ssrf.Target("http", "hooks.shop.example", receiver.server.server_port, "/hooks?a=1",
                         address="127.0.0.1")
    result = transport.post(target, b'{"x":1}', {"content-type": "application/json"})
    assert result.ok and result.status_code == 200
    [req] = receiver.requests
    assert req["headers"]["host"] == f"hooks.shop.example:{receiver.server.server_port}"
    assert req["path"] == "/hooks?a=1" and req["body"] == b'{"x":1}'


def test_test_mode_endpoint_to_metadata_or_private_is_refused(app, client, merchant):
    app.config["DEVELOPMENT"] = False        # a production install
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/hooks",
                "http://[fd00:ec2::254]/"):
        resp = client.post("/api/v1/webhook_endpoints", headers=merchant.auth, json={"url": url})
        assert resp.status_code == 400, url
        assert resp.get_json()["error"]["param"] == "url"
