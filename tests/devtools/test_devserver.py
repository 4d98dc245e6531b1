"""The one-command launcher's private Redis (scripts/run without a Redis server)."""
import argparse

import redis

from checkout.devtools import devserver


def test_a_private_redis_is_started_when_none_answers(monkeypatch):
    unused = devserver.free_port(6399)
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{unused}/0")
    launcher = devserver.Launcher(argparse.Namespace(verbose=True))
    try:
        note = launcher.ensure_redis()
        url = launcher.env["REDIS_URL"]
        assert "private Redis" in note and url != f"redis://127.0.0.1:{unused}/0"
        assert redis.Redis.from_url(url).ping()
        assert redis.Redis.from_url(url).config_get("save") == {"save": ""}
    finally:
        launcher.stop()
    [(name, proc)] = launcher.procs
    assert name == "redis" and proc.poll() is not None


def test_a_reachable_redis_is_used_as_it_is(monkeypatch, redis_url):
    monkeypatch.setenv("REDIS_URL", redis_url)
    launcher = devserver.Launcher(argparse.Namespace(verbose=True))
    assert launcher.ensure_redis() == f"Redis at {redis_url}"
    assert launcher.procs == []
