"""HTTP benchmark of issue #2: checkout creation and the hosted page, side by side with
two bare endpoints on the same gunicorn server (the framework's ceiling on this box).

    .venv/bin/python -m bench.http_bench [--rows 1000000] [--duration 10] [--workers 4]

Needs PostgreSQL (database `checkout_bench` is dropped and re-created), Redis, and
Debian's `wrk`. Prints requests/s and p50/p99 latency for each endpoint, the ratios to
the ceilings, and the compressed weight of the method picker page.
"""
import argparse
import gzip
import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from urllib.request import Request, urlopen

import psycopg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_URL = PG_ADMIN.rsplit("/", 1)[0] + "/checkout_bench"
PORT = int(os.environ.get("BENCH_PORT", "8077"))
BASE = f"http://127.0.0.1:{PORT}"
ENV = dict(os.environ, DATABASE_URL=DB_URL, REDIS_URL="redis://127.0.0.1:6379/14",
           CHECKOUT_ENV="production", SECRET_KEY=secrets.token_hex(16),
           CHECKOUT_ENCRYPTION_KEY="bench-" + secrets.token_hex(8),
           CHECKOUT_PUBLIC_URL=BASE, CHECKOUT_BENCH_ENDPOINTS="1",
           RATE_LIMIT_PER_MINUTE="100000000", LOG_LEVEL="WARNING")

CREATE_LUA = """
local n = 0
local prefix = "__PREFIX__"
request = function()
  n = n + 1
  local id = prefix .. "-" .. n
  local body = '{"order_id":"' .. id .. '","amount":5000,"currency":"XOF",' ..
    '"description":"2 x T-shirt","return_url":"https://shop.example/orders/' .. id .. '"}'
  return wrk.format("POST", "/api/v1/checkouts", {["Authorization"] = "Bearer %s",
    ["Content-Type"] = "application/json", ["Idempotency-Key"] = id}, body)
end
"""
INSERT_LUA = """
request = function()
  return wrk.format("POST", "/_bench/insert", {["Content-Type"] = "application/json"},
    '{"merchant_id": %d}')
end
"""


def flask(*args):
    subprocess.run([os.path.join(ROOT, ".venv/bin/flask"), "--app", "wsgi", *args], cwd=ROOT,
                   env=ENV, check=True, stdout=subprocess.DEVNULL)


def setup_database(rows):
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS checkout_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE checkout_bench")
    flask("db", "upgrade")
    out = subprocess.run(
        [os.path.join(ROOT, ".venv/bin/flask"), "--app", "wsgi", "merchants", "create",
         "Bench Shop", "--email", "bench@shop.example", "--password", "bench-password-1",
         "--return-host", "shop.example"], cwd=ROOT, env=ENV, check=True, capture_output=True,
        text=True).stdout
    merchant = json.loads(out[out.index("{"):])
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        mid = conn.execute("SELECT id FROM merchants").fetchone()[0]
        if rows:
            # Fill the table like a busy year would: mostly paid or expired checkouts.
            conn.execute(
                "INSERT INTO checkouts (id, merchant_id, livemode, order_id, amount, currency,"
                " status, paid_late, expires_at, created_at, updated_at) "
                "SELECT 'cs_seed' || g, %s, false, 'seed-' || g, 5000, 'XOF',"
                " CASE WHEN g %% 3 = 0 THEN 'expired' ELSE 'paid' END, false,"
                " now() - interval '1 day', now() - (g || ' seconds')::interval,"
                " now() - (g || ' seconds')::interval FROM generate_series(1, %s) g",
                (mid, rows))
            conn.execute("VACUUM ANALYZE checkouts")
    return merchant, mid


def api(method, path, key, body=None):
    req = Request(BASE + path, method=method, data=json.dumps(body).encode() if body else None,
                  headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def wrk(name, url, duration, connections, script=None):
    def command(seconds):
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
        if script:
            # Each run gets its own order-id prefix: no run replays another's keys.
            f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
            f.write(script.replace("__PREFIX__", secrets.token_hex(6)))
            f.close()
            cmd[1:1] = ["-s", f.name]
        return cmd

    subprocess.run(command(3), capture_output=True, check=True)  # warm-up
    out = subprocess.run(command(duration), capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(re.search(rf"^\s+{p}%\s+(\S+)", out, re.M).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"name": name, "rps": rps, "p50": lat["50"], "p99": lat["99"],
            "non2xx": int(errors.group(1)) if errors else 0}


def _ms(text):
    value = float(re.match(r"[\d.]+", text).group(0))
    return value / 1000 if text.endswith("us") else value * 1000 if text.endswith("s") and not \
        text.endswith("ms") else value


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") in ("stylesheet", "icon") and a.get("href"):
            self.urls.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.urls.append(a["src"])


def page_weight(path):
    html = urlopen(BASE + path, timeout=10).read()
    parser = _Assets()
    parser.feed(html.decode())
    parts = {"html": len(gzip.compress(html, 9))}
    for url in parser.urls:
        if url.startswith("data:"):
            continue
        body = urlopen(url if url.startswith("http") else BASE + url, timeout=10).read()
        parts[url.split("?")[0]] = len(gzip.compress(body, 9))
    return parts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=0, help="checkouts to pre-fill the table with")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    merchant, mid = setup_database(args.rows)
    key = merchant["test_secret_key"]
    server = subprocess.Popen(
        [os.path.join(ROOT, ".venv/bin/gunicorn"), "-w", str(args.workers), "-k", "sync",
         "-b", f"127.0.0.1:{PORT}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=ENV,
        start_new_session=True)
    try:
        for _ in range(100):
            try:
                urlopen(BASE + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        page = api("POST", "/api/v1/checkouts", key, {
            "order_id": "bench-page", "amount": 5000, "currency": "XOF", "country": "BJ",
            "description": "2 x T-shirt", "return_url": "https://shop.example/orders/1"})
        page_path = "/c/" + page["id"]
        results = [
            wrk("bare ORM insert", BASE + "/_bench/insert", args.duration, args.connections,
                INSERT_LUA % mid),
            wrk("checkout create (API)", BASE + "/api/v1/checkouts", args.duration,
                args.connections, CREATE_LUA % key),
            wrk("bare lookup + render", BASE + "/_bench/render/" + page["id"], args.duration,
                args.connections),
            wrk("hosted checkout page", BASE + page_path, args.duration, args.connections),
        ]
        weight = page_weight(page_path)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    with psycopg.connect(DB_URL) as conn:
        total = conn.execute("SELECT count(*) FROM checkouts").fetchone()[0]
    print(f"\ngunicorn -w {args.workers} -k sync, wrk -t1 -c{args.connections} -d{args.duration}s, "
          f"{total} checkouts in the table at the end")
    print(f"{'endpoint':26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for r in results:
        print(f"{r['name']:26} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['non2xx']:8d}")
    by = {r["name"]: r for r in results}
    create = by["checkout create (API)"]["rps"] / by["bare ORM insert"]["rps"]
    hosted = by["hosted checkout page"]["rps"] / by["bare lookup + render"]["rps"]
    print(f"\ncreate / bare insert = {create:.0%} (target >= 75%)")
    print(f"hosted page / bare lookup+render = {hosted:.0%} (target >= 65%)")
    print(f"method picker page weight, gzip: {sum(weight.values())} bytes {weight} "
          "(target < 30 KB)")


if __name__ == "__main__":
    main()
