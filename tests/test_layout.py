"""The shape of the package, checked from its source: no import loops (imports inside
functions included), what each room may import, one module that builds RQ queues, files
of a readable size, no gateway named outside gateways/, dotted job paths that resolve."""
import ast
import importlib
import json
import pathlib
import subprocess
import sys

import pytest

from checkout.gateways import all_gateways
from checkout.jobs import queue as job_queue

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "checkout"
MAX_LINES = 400
# Imports written inside a function, each with its reason. Keep this list short.
INNER_IMPORTS = {
    ("checkout/app.py", "checkout.devtools"): "development tools stay out of production",
}


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources():
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


SOURCES = _sources()


def _imports(name, path):
    """``(imported module, node, inside a function)`` for every import of ``path``."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    inner = {id(n) for fn in ast.walk(tree)
             if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node, id(node) in inner
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                yield (candidate if candidate in SOURCES else module), node, id(node) in inner


def _graph():
    graph = {}
    for name, path in SOURCES.items():
        graph[name] = {mod for mod, _node, _inner in _imports(name, path)
                       if mod in SOURCES and mod != name}
    return graph


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_counting_every_import():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_inside_functions_are_the_listed_few():
    found = {(str(path.relative_to(ROOT)), mod)
             for name, path in SOURCES.items()
             for mod, _node, inner in _imports(name, path) if inner}
    assert found == set(INNER_IMPORTS)


def _checkout_imports(prefix):
    return {(name, mod) for name, path in SOURCES.items() if name.startswith(prefix)
            for mod, _node, _inner in _imports(name, path) if mod.startswith("checkout")}


def test_gateways_import_only_gateways_and_core():
    allowed = ("checkout.gateways", "checkout.core.phones", "checkout.core.money")
    assert {(n, m) for n, m in _checkout_imports("checkout.gateways")
            if not m.startswith(allowed)} == set()


def test_simulators_import_nothing_of_the_product():
    assert {(n, m) for n, m in _checkout_imports("checkout.simulators")
            if not m.startswith("checkout.simulators")} == set()


def test_the_state_table_imports_only_the_standard_library():
    path = SOURCES["checkout.payments.state"]
    roots = {mod.split(".")[0] for mod, _n, _i in _imports("checkout.payments.state", path)}
    assert roots <= set(sys.stdlib_module_names)


@pytest.mark.parametrize("module,forbidden", [
    ("checkout.gateways", ("flask", "sqlalchemy", "flask_sqlalchemy", "rq", "redis")),
    ("checkout.simulators", ("checkout.gateways", "checkout.payments", "checkout.models",
                             "checkout.api", "sqlalchemy", "rq")),
    ("checkout.worker.process", ("checkout.api", "checkout.hosted")),
])
def test_what_a_fresh_interpreter_loads(module, forbidden):
    """Importing the module alone (as a process would) loads none of ``forbidden``."""
    code = (f"import json, sys, {module}\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({forbidden!r}))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert json.loads(out) == []


def test_one_module_builds_rq_queues():
    builders = {name for name, path in SOURCES.items()
                for mod, node, _inner in _imports(name, path)
                if mod == "rq" and isinstance(node, ast.ImportFrom)
                and any(a.name == "Queue" for a in node.names)}
    assert builders == {"checkout.jobs.queue"}


def test_no_file_is_too_long():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_no_gateway_is_named_outside_its_package():
    """Outside gateways/ and simulators/, no code compares with, indexes by or keys on a
    gateway's name: it asks the adapter what it can do instead."""
    names = set(all_gateways())
    found = []
    for name, path in SOURCES.items():
        if name.startswith(("checkout.gateways", "checkout.simulators")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            values = []
            if isinstance(node, ast.Compare):
                values = [node.left, *node.comparators]
                values += [e for v in values if isinstance(v, (ast.Tuple, ast.List, ast.Set))
                           for e in v.elts]
            elif isinstance(node, ast.Dict):
                values = [k for k in node.keys if k is not None]
            elif isinstance(node, ast.Subscript):
                values = [node.slice]
            found += [f"{path.relative_to(ROOT)}:{v.lineno}" for v in values
                      if isinstance(v, ast.Constant) and v.value in names]
    assert found == []


def test_no_e402_exemptions():
    marker = "noqa: " + "E402"      # (spelt in two parts so that this file does not match)
    assert [str(p) for p in ROOT.rglob("*.py") if ".venv" not in p.parts
            and marker in p.read_text()] == []


BY_NAME = [v for k, v in vars(job_queue).items()
           if k.isupper() and isinstance(v, str) and v.startswith("checkout.")]


@pytest.mark.parametrize("path", BY_NAME)
def test_jobs_enqueued_by_name_resolve(path):
    module, _, func = path.rpartition(".")
    assert callable(getattr(importlib.import_module(module), func))
