"""The receiver of ``bench.webhooks``: a separate process that verifies every Standard
Webhooks signature and answers ``GET /results`` with the arrival time of each message.
Standard library only, so that it is listening within a fraction of a second.

    .venv/bin/python -m bench.webhook_receiver <whsec_ secret>
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVER_PORT = int(os.environ.get("BENCH_RECEIVER_PORT", "8078"))


def run_receiver(port, secret):
    key = base64.b64decode(secret[len("whsec_"):])
    arrivals, bad = {}, []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            now = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            msg_id, ts = self.headers["webhook-id"], self.headers["webhook-timestamp"]
            expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body,
                                                 hashlib.sha256).digest()).decode()
            ok = any(hmac.compare_digest(expected, s.split(",", 1)[1])
                     for s in self.headers["webhook-signature"].split(" "))
            with lock:
                if ok:
                    arrivals.setdefault(msg_id, now)
                else:
                    bad.append(msg_id)
            self._send(200, b"{}")

        def do_GET(self):
            with lock:
                out = json.dumps({"arrivals": arrivals, "bad": bad}).encode()
            self._send(200, out)

        def _send(self, status, body):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    run_receiver(RECEIVER_PORT, sys.argv[1])
