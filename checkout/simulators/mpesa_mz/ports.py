"""The real port layout (providers.md 5.1): one small WSGI app per port that serves only
its operation's path, at the root, by handing the request to the simulators app under
the ``/mpesa-mz`` prefix. The caller starts a server per port (SIM_MPESA_MZ_REAL_PORTS)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from .api import PORTS

WSGIApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


def _only(app: WSGIApp, path: str, prefix: str) -> WSGIApp:
    def serve(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") != path:
            body = json.dumps({"message": "Not Found"}).encode()
            start_response("404 NOT FOUND", [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        return app({**environ, "PATH_INFO": prefix + path}, start_response)

    return serve


def port_apps(app: WSGIApp, prefix: str = "/mpesa-mz") -> dict[int, WSGIApp]:
    """``{port: wsgi_app}`` for 18352 (C2B), 18353 (query), 18354 (reversal), 18345 (B2C)
    and 18349 (B2B), each serving its own path only."""
    return {port: _only(app, path, prefix) for port, path in PORTS.items()}
