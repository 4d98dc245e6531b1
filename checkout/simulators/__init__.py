"""Offline stand-ins for the payment providers' real APIs (the product's test mode).

One WSGI app mounts every provider simulator under its own prefix (``/feexpay`` today). Each
provider is a subpackage (``feexpay/``) exposing ``init_app``, listed once in ``PROVIDERS``;
``_runtime`` holds the plumbing they share. A simulator imports nothing from the rest of the
product: it is written from docs/providers.md alone, so that it checks the product's adapters
instead of repeating their mistakes.
"""
from __future__ import annotations

import logging
import os
import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import chapa, feexpay, mpesa_ke, mpesa_mz, paystack
from ._runtime import add_latency, register_json_errors

log = logging.getLogger(__name__)

# provider name -> (URL prefix, init_app(app, config, url_prefix)[, port_apps(app)]).
# Add siblings here. ``port_apps`` gives the provider's real port layout ({port: WSGI app}),
# served as well when SIM_<NAME>_REAL_PORTS=1 (see ``make_port_servers``).
PROVIDERS = {
    "feexpay": ("/feexpay", feexpay.init_app),
    "chapa": ("/chapa", chapa.init_app),
    "paystack": ("/paystack", paystack.init_app),
    "mpesa_ke": ("/daraja", mpesa_ke.init_app),
    "mpesa_mz": ("/mpesa-mz", mpesa_mz.init_app, mpesa_mz.port_apps),
}


def create_simulator_app(config: dict | None = None) -> Flask:
    """Build the simulators app; starts no thread (timers start on first use).

    ``config`` holds shared keys (e.g. ``delay_seconds``) and one section per provider
    (e.g. ``{"feexpay": {"late_delay_seconds": 5}}``). Raises ValueError on a bad config.
    """
    app = Flask(__name__, static_folder=None)
    app.json.sort_keys = False
    register_json_errors(app)
    for prefix, init_app, *_ports in PROVIDERS.values():
        init_app(app, config, url_prefix=prefix)
    add_latency(app, {name: entry[0] for name, entry in PROVIDERS.items()}, config)
    return app


def reset(app: Flask) -> None:
    """Forget every transaction and pending timer of every simulator of ``app``."""
    for sim in app.extensions["simulators"].values():
        sim.reset()


def close(app: Flask) -> None:
    """Stop the background threads of every simulator of ``app``."""
    for sim in app.extensions["simulators"].values():
        sim.close()


class _KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as the providers' own servers speak: a client's pooled
    connections are reused instead of one TCP connection (and one server thread) per call."""

    protocol_version = "HTTP/1.1"


def make_simulator_server(host: str = "127.0.0.1", port: int = 0,
                          config: dict | None = None) -> BaseWSGIServer:
    """A threaded werkzeug server for a new simulators app (``port=0`` picks a free port)."""
    return make_server(host, port, create_simulator_app(config), threaded=True,
                       request_handler=_KeepAliveHandler)


def make_port_servers(app: Flask, host: str = "127.0.0.1",
                      environ: dict | None = None) -> list[BaseWSGIServer]:
    """Servers for the real port layouts that are asked for (``SIM_<NAME>_REAL_PORTS=1``
    in ``environ``, default the process environment), each handing its requests to
    ``app``. Started with :func:`serve_in_threads`; plain HTTP, for a client configured
    with the provider's real ports and a local host."""
    environ = os.environ if environ is None else environ
    servers = []
    for name, (_prefix, _init, *ports) in PROVIDERS.items():
        if ports and environ.get(f"SIM_{name.upper()}_REAL_PORTS", "") in ("1", "true", "yes"):
            for port, wsgi in ports[0](app).items():
                servers.append(make_server(host, port, wsgi, threaded=True))
    return servers


def serve_in_threads(servers: list[BaseWSGIServer]) -> list[threading.Thread]:
    threads = []
    for server in servers:
        thread = threading.Thread(target=server.serve_forever, daemon=True,
                                  name=f"simulator-port-{server.server_port}")
        thread.start()
        threads.append(thread)
    return threads


def run_simulators(host: str = "127.0.0.1", port: int = 5001,
                   config: dict | None = None) -> None:
    """Serve the simulators until interrupted (a test tool, not a production server)."""
    server = make_simulator_server(host, port, config)
    extra = make_port_servers(server.app, host)
    serve_in_threads(extra)
    log.info("payment simulators on http://%s:%d (%s)%s", host, server.server_port,
             ", ".join(PROVIDERS),
             f"; real ports {[s.server_port for s in extra]}" if extra else "")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for other in extra:
            other.shutdown()
            other.server_close()
        server.server_close()
        close(server.app)
