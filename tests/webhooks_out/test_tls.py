"""HTTPS delivery to the pinned address: the certificate is checked against the URL's host
name (SNI too), never against the address, and an untrusted certificate is refused."""
import datetime
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from checkout.webhooks_out import ssrf, transport

HOST = "hooks.shop.example"


def _cert(subject, issuer_key, issuer, key, ca=False, names=()):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 whose certificate (from a private CA) names HOST."""
    tmp = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]), ca_key, ca_name,
                 key, names=[x509.DNSName(HOST)])
    (tmp / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    seen = []

    def app(environ, start_response):
        seen.append(environ.get("HTTP_HOST"))
        return Response(b"ok", status=200)(environ, start_response)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / "leaf.pem", tmp / "key.pem")
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ctx)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server.server_port, str(tmp / "ca.pem"), seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def trust(monkeypatch):
    def use(cafile):
        monkeypatch.setattr(transport, "_tls", ssl.create_default_context(cafile=cafile))
    return use


def test_https_to_the_pinned_address_checks_the_host_name(tls_server, trust):
    port, cafile, seen = tls_server
    trust(cafile)
    ok = transport.post(ssrf.Target("https", HOST, port, "/h", address="127.0.0.1"), b"{}", {})
    assert ok.ok and ok.status_code == 200 and seen[-1] == f"{HOST}:{port}"
    wrong = transport.post(ssrf.Target("https", "other.example", port, "/h",
                                       address="127.0.0.1"), b"{}", {})
    assert not wrong.ok and wrong.error.startswith("TLS certificate rejected")
    by_ip = transport.post(ssrf.Target("https", "127.0.0.1", port, "/h", address="127.0.0.1"),
                           b"{}", {})
    assert not by_ip.ok and by_ip.error.startswith("TLS certificate rejected")


def test_an_untrusted_certificate_is_refused(tls_server, monkeypatch):
    port, _, _ = tls_server
    monkeypatch.setattr(transport, "_tls", None)           # the real trust store
    result = transport.post(ssrf.Target("https", HOST, port, "/h", address="127.0.0.1"),
                            b"{}", {})
    assert not result.ok and result.status_code is None
    assert result.error.startswith("TLS certificate rejected")
