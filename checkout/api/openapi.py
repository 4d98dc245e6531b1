"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of the merchant API (no auth).

The document is :data:`openapi_spec.BASE` plus the ``OPENAPI`` fragment of every module of
``checkout.api`` and ``checkout.api.openapi_spec`` that declares one (see the
``openapi_spec`` package docstring for the fragment format and its helpers). Add a resource
by declaring ``OPENAPI = {"paths": {...}, "components": {"schemas": {...}}, "tags": [...]}``
in its module; nothing here needs editing.
"""
import copy
import functools
import importlib
import os
import pkgutil

from flask import current_app, jsonify

from . import openapi_spec
from .blueprint import bp


class SpecConflict(RuntimeError):
    """Two fragments declare the same operation or component differently."""


def merge(document, fragment, source):
    """Merge ``fragment`` into ``document`` in place; raises SpecConflict."""
    for path, operations in fragment.get("paths", {}).items():
        target = document["paths"].setdefault(path, {})
        for method, operation in operations.items():
            if method in target and target[method] != operation:
                raise SpecConflict(f"{source}: {method.upper()} {path} is declared twice")
            target[method] = operation
    for section, items in fragment.get("components", {}).items():
        target = document["components"].setdefault(section, {})
        for name, value in items.items():
            if name in target and target[name] != value:
                raise SpecConflict(f"{source}: components/{section}/{name} is declared twice")
            target[name] = value
    known = {t["name"] for t in document["tags"]}
    for tag in fragment.get("tags", []):
        if tag["name"] not in known:
            document["tags"].append(tag)
            known.add(tag["name"])


def fragments():
    """``(module name, OPENAPI)`` of every module that declares a fragment, sorted by name."""
    found = []
    packages = ((__package__, [os.path.dirname(__file__)]),
                (openapi_spec.__name__, openapi_spec.__path__))
    for package, path in packages:
        for info in pkgutil.iter_modules(path):
            name = f"{package}.{info.name}"
            if info.ispkg or name == __name__:
                continue
            fragment = getattr(importlib.import_module(name), "OPENAPI", None)
            if fragment:
                found.append((name, fragment))
    return sorted(found, key=lambda item: item[0])


@functools.cache
def _document():
    document = copy.deepcopy(openapi_spec.BASE)
    merge(document, {"paths": {"/openapi.json": {"get": {
        "operationId": "getOpenApiDocument", "tags": ["Meta"], "security": [],
        "summary": "This document",
        "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                              "content": {"application/json": {"schema": {
                                  "type": "object"}}}}}}}},
        "tags": [{"name": "Meta"}]}, __name__)
    for name, fragment in fragments():
        merge(document, fragment, name)
    return document


def build_document(base_url=None):
    """The whole document, with the server URL of this deployment."""
    document = copy.deepcopy(_document())
    base_url = base_url or current_app.config["CHECKOUT_PUBLIC_URL"]
    document["servers"] = [{"url": f"{base_url}/api/v1"}]
    return document


@bp.get("/openapi.json")
def openapi_document():
    response = jsonify(build_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
