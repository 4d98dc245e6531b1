"""Daraja's OAuth token and the one way to call its API with it (providers.md 4.2).

``GET /oauth/v1/generate?grant_type=client_credentials`` with Basic auth answers
``{"access_token", "expires_in"}`` (3599, a number in the docs and a string live). The
token is kept in ``Account.cache`` (Redis, shared by every worker) under a key per
consumer key and base URL until 60 s before it expires; without a cache (unit tests) in
a thread-safe dict of this process. A call answered "Invalid Access Token" (404.001.03)
drops the cached token, fetches a new one and is sent once more, never twice.
"""
import hashlib
import threading
import time
from decimal import Decimal
from typing import Any

from checkout.gateways import http
from checkout.gateways.base import Account
from checkout.gateways.errors import GatewayAuthError, GatewayUnavailable

from .errors import error_for, is_invalid_token

TIMEOUT = (5, 30)                      # connect, read: STK push answers within seconds
EARLY_SECONDS = 60                     # refresh this long before the token expires
_local: dict[str, tuple[str, float]] = {}
_local_lock = threading.Lock()


def base_of(account: Account) -> str:
    return account.base_url.rstrip("/")


def cache_key(consumer_key: str, base_url: str) -> str:
    digest = hashlib.sha256(f"{consumer_key}|{base_url.rstrip('/')}".encode()).hexdigest()
    return f"mpesa_ke:token:{digest[:32]}"


def expires_in(value: object) -> int:
    """``expires_in`` as seconds (a number or a numeric string); 0 when unreadable."""
    if isinstance(value, bool):
        return 0
    try:
        return max(0, int(Decimal(str(value).strip())))
    except (ArithmeticError, ValueError, TypeError):
        return 0


def _cached(account: Account, key: str) -> str | None:
    if account.cache is not None:
        value = account.cache.get(key)
        return value if isinstance(value, str) and value else None
    with _local_lock:
        token, until = _local.get(key, ("", 0.0))
        return token if token and until > time.monotonic() else None


def _store(account: Account, key: str, token: str, ttl: int) -> None:
    if ttl <= 0:
        return
    if account.cache is not None:
        account.cache.set(key, token, ttl)
        return
    with _local_lock:
        _local[key] = (token, time.monotonic() + ttl)


def drop_token(account: Account, consumer_key: str) -> None:
    key = cache_key(consumer_key, account.base_url)
    if account.cache is not None:
        account.cache.delete(key)
    with _local_lock:
        _local.pop(key, None)


def token(account: Account, consumer_key: str, consumer_secret: str,
          fresh: bool = False) -> str:
    """An access token for the account: the cached one, else a new one from
    ``/oauth/v1/generate``. Raises GatewayAuthError (keys refused) and
    GatewayUnavailable (unreachable, or an answer without a token)."""
    key = cache_key(consumer_key, account.base_url)
    if not fresh and (cached := _cached(account, key)):
        return cached
    resp = http.session("mpesa_ke", timeout=TIMEOUT).get(
        f"{base_of(account)}/oauth/v1/generate", params={"grant_type": "client_credentials"},
        auth=(consumer_key, consumer_secret), headers={"Accept": "application/json"})
    payload = decode(resp)
    if not 200 <= resp.status_code < 300:
        raise error_for(resp.status_code, payload, "token")
    value = payload.get("access_token") if isinstance(payload, dict) else None
    if not isinstance(value, str) or not value.strip() or len(value) > 4096:
        raise GatewayUnavailable("Daraja token answer without an access_token",
                                 code="invalid_response", http_status=resp.status_code)
    lifetime = expires_in(payload.get("expires_in"))
    _store(account, key, value.strip(), lifetime - EARLY_SECONDS)
    return value.strip()


def decode(resp: Any) -> Any:
    try:
        return resp.json(parse_float=Decimal)
    except (ValueError, RecursionError):
        return resp.text[:2000] if resp.text else None


def call(account: Account, consumer_key: str, consumer_secret: str, path: str,
         body: dict, operation: str, *, raise_for: bool = True) -> tuple[Any, int]:
    """POST ``body`` to ``path`` with a Bearer token; returns (decoded JSON, status).
    On "Invalid Access Token" the token is renewed and the call sent once more (Daraja
    refused it at its gateway: nothing was done). With ``raise_for`` a non-2xx answer
    raises its error_for error."""
    if not consumer_key or not consumer_secret:
        raise GatewayAuthError("The M-Pesa account needs a consumer key and secret.",
                               code="shop_not_configured")
    session = http.session("mpesa_ke", timeout=TIMEOUT)
    for attempt in (1, 2):
        bearer = token(account, consumer_key, consumer_secret, fresh=attempt == 2)
        resp = session.post(f"{base_of(account)}{path}", json=body,
                            headers={"Authorization": f"Bearer {bearer}",
                                     "Accept": "application/json"})
        payload = decode(resp)
        if is_invalid_token(resp.status_code, payload):
            drop_token(account, consumer_key)
            if attempt == 1:
                continue
            raise error_for(resp.status_code, payload, operation)
        if raise_for and not 200 <= resp.status_code < 300:
            raise error_for(resp.status_code, payload, operation)
        return payload, resp.status_code
    raise AssertionError("unreachable")
