"""The HTTP POST of one webhook attempt, to an address already checked by ``ssrf.pin``.

Not ``gateways/http.py``'s session, on purpose: requests resolves the host itself
(and honours proxy variables), so it could connect somewhere other than the address
the SSRF guard approved. Here we open the socket to the checked address ourselves,
then speak HTTP/1.1 over it with the original host name (Host header, TLS SNI and
certificate check). Redirects are never followed, every phase has a timeout, a
watchdog bounds the whole attempt, and at most ``max_body`` bytes of the answer are
read (the connection is closed after, never drained).
"""
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import certifi

from .ssrf import Target

_tls = None


def _tls_context():
    global _tls
    if _tls is None:
        _tls = ssl.create_default_context(cafile=certifi.where())
    return _tls


@dataclass(frozen=True)
class SendResult:
    """What happened to one POST. ``error`` is set when no usable HTTP answer came
    back (or a redirect did); ``status_code`` when one did."""

    duration_ms: int
    status_code: int | None = None
    body: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None \
            and 200 <= self.status_code < 300

    def summary(self) -> str | None:
        """A short reason for the delivery's ``last_error``."""
        if self.ok:
            return None
        if self.error:
            return self.error[:200]
        return f"HTTP {self.status_code}"


class _Preconnected:
    """Mixin: an http.client connection over a socket we opened ourselves."""

    def connect(self) -> None:  # pragma: no cover - the socket is always set before use
        raise RuntimeError("socket not set")


class _HTTP(_Preconnected, http.client.HTTPConnection):
    pass


class _HTTPS(_Preconnected, http.client.HTTPSConnection):
    pass


def post(target: Target, body: bytes, headers: Mapping[str, str], connect_timeout: float = 3.0,
         read_timeout: float = 10.0, max_body: int = 1024) -> SendResult:
    """POST ``body`` to ``target`` (an ``ssrf.Target`` with its checked ``address``).
    Never raises for network trouble: the outcome is in the SendResult."""
    start = time.monotonic()
    phase, sock, killed = "connect", None, threading.Event()
    timer = None

    def done(**kw):
        return SendResult(duration_ms=int((time.monotonic() - start) * 1000), **kw)

    try:
        sock = socket.create_connection((target.address, target.port), timeout=connect_timeout)
        if target.scheme == "https":
            sock = _tls_context().wrap_socket(sock, server_hostname=target.host)
        phase = "read"
        sock.settimeout(read_timeout)
        timer = threading.Timer(connect_timeout + read_timeout, _kill, (sock, killed))
        timer.daemon = True
        timer.start()
        if target.scheme == "https":
            conn = _HTTPS(target.host, target.port, context=_tls_context())
        else:
            conn = _HTTP(target.host, target.port)
        conn.sock = sock
        conn.request("POST", target.path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = _read_capped(resp, max_body)
        text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        if 300 <= resp.status < 400:
            where = (resp.getheader("Location") or "")[:200]
            return done(status_code=resp.status, body=text,
                        error=f"redirect to {where or '(no location)'} not followed")
        return done(status_code=resp.status, body=text)
    except TimeoutError:
        return done(error="connect timeout" if phase == "connect" else "read timeout")
    except ConnectionRefusedError:
        return done(error="connection refused")
    except ssl.SSLCertVerificationError as exc:
        return done(error=f"TLS certificate rejected: {exc.verify_message}"[:200])
    except ssl.SSLError as exc:
        return done(error=f"TLS error: {exc.reason or exc.__class__.__name__}"[:200])
    except (http.client.HTTPException, OSError) as exc:
        if killed.is_set():
            return done(error="read timeout (attempt took too long)")
        if isinstance(exc, http.client.HTTPException):
            return done(error=f"invalid HTTP response: {exc.__class__.__name__}")
        return done(error=f"connection error: {exc.strerror or exc.__class__.__name__}"[:200])
    finally:
        if timer is not None:
            timer.cancel()
        if sock is not None:
            sock.close()


def _read_capped(resp, cap):
    """At most ``cap`` bytes of the body. The status line already decided the outcome:
    a body that stalls or breaks off is kept as far as it came."""
    out = bytearray()
    try:
        while len(out) < cap:
            chunk = resp.read1(min(512, cap - len(out)))
            if not chunk:
                break
            out += chunk
    except (TimeoutError, OSError, http.client.HTTPException):
        pass
    return bytes(out)


def _kill(sock, flag):
    flag.set()
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
