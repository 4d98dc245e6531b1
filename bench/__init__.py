"""Benchmarks (README "Benchmarks"): run from the repository root, e.g.
``.venv/bin/python -m bench.http_bench``."""
