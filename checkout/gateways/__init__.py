"""The gateway registry: a name-to-adapter map and the method catalog built from it."""
from .base import Gateway, Method  # noqa: F401
from .errors import GatewayNotSupported

_REGISTRY: dict = {}


def register(cls):
    """Class decorator: make an adapter available under its ``name``."""
    _REGISTRY[cls.name] = cls()
    return cls


def get_gateway(name) -> Gateway:
    """The adapter registered under ``name``; raises GatewayNotSupported if none."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise GatewayNotSupported(f"unknown gateway {name!r}")


def all_gateways():
    _load()
    return dict(_REGISTRY)


def all_methods():
    """Every method code of every gateway: {code: Method}."""
    _load()
    out = {}
    for gw in _REGISTRY.values():
        out.update(gw.methods)
    return out


def _load():
    # Unconditional: importing one adapter module directly (as tests do) must not keep
    # the others out of the registry. Repeated imports are free.
    from . import cod, feexpay  # noqa: F401  (registers on import)
