"""The one HTTP session factory for outbound calls: timeouts always, no redirects followed."""
import os
import urllib.request
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .errors import GatewayUnavailable

DEFAULT_TIMEOUT = (5, 25)  # connect, read (seconds)
# Kept-alive connections per provider host and process: as many as a worker's poller makes
# calls at once (POLL_CONCURRENCY), so that none is opened and dropped per call.
POOL_SIZE = 256


class TimeoutSession(requests.Session):
    """A session whose every request has a timeout and does not follow redirects."""

    def __init__(self, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.default_timeout = timeout
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        if not urllib.request.getproxies():
            # No proxy configured: skip requests' per-call look at the environment (a
            # ~/.netrc search and the proxy variables, a tenth of a status call's CPU).
            # With a proxy, requests keeps reading it, no_proxy included.
            self.trust_env = False
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle:
                self.verify = bundle

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        kwargs.setdefault("allow_redirects", False)
        try:
            return super().request(method, url, **kwargs)
        except requests.Timeout as exc:
            # A read timeout after sending: the provider may have acted. Connect: it did not.
            unknown = not isinstance(exc, requests.ConnectTimeout)
            raise GatewayUnavailable(f"timeout calling {method} {url}",
                                     outcome_unknown=unknown) from exc
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"cannot reach {url}: {exc.__class__.__name__}") from exc


_sessions: dict[tuple[str, tuple[float, float]], TimeoutSession] = {}


def session(name: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> TimeoutSession:
    """A pooled session per gateway name (one per process; safe to share across threads
    for the simple request/response use adapters make of it)."""
    key = (name, timeout)
    if key not in _sessions:
        _sessions[key] = TimeoutSession(timeout)
    return _sessions[key]
