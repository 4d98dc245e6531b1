"""No card number or CVV ever reaches our servers (README, Security): cards are typed on
the gateway's own page. After a real card payment on each simulator's page with its
provider's test card, nothing we keep or say holds them: not one row of any table of our
database, not one log record of the process (the app, the worker, everything), not one
HTTP request our server received (method, URL, headers, body)."""
import json
import logging
import re
from io import BytesIO
from urllib.parse import unquote_plus

import pytest
from sqlalchemy import text

from checkout.extensions import db
from checkout.gateways.paystack.wire import reference_for
from checkout.models import Refund
from tests.factories import checkout, notifications, payment

from .shopper import CHAPA_CARDS, PAYSTACK_CARD, MerchantApi, Shopper, chapa_card, location

pytestmark = pytest.mark.usefixtures("live_server")

_TIMESTAMPS = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?"
    r"|\d{2}/\w{3}/\d{4}[ :]\d{2}:\d{2}:\d{2}")
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "x", 1, "x", (), None))) | {
    "message", "asctime"}


def card_pattern(number):
    """The card number with or without spaces (or any other short separators)."""
    digits = number.replace(" ", "")
    return re.compile(r"(?<!\d)" + r"\D{0,3}".join(digits) + r"(?!\d)")


def cvv_pattern(cvv):
    """The CVV as a value of its own: not inside an identifier or a longer number
    (timestamps are masked first, their fractions of a second being any digits)."""
    return re.compile(r"(?<![0-9A-Za-z])" + cvv + r"(?![0-9A-Za-z])")


def leaks(texts, number, cvv):
    """Where, among ``texts`` ({where: text}), the card number or the CVV shows."""
    found = []
    card, code = card_pattern(number), cvv_pattern(cvv)
    for where, value in texts.items():
        for variant in (value, unquote_plus(value)):
            if card.search(variant):
                found.append((where, "card number", variant[:300]))
            masked = _TIMESTAMPS.sub("<time>", variant)
            if code.search(masked) or re.search(r"\bcvv\b|\bcvc\b", masked, re.I):
                found.append((where, "cvv", masked[:300]))
    return found


def as_text(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def database_dump():
    """Every row of every table of our database (PostgreSQL's catalogue: every table,
    not only those the models know), each as text."""
    db.session.rollback()
    tables = db.session.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).scalars()
    dump = {}
    for table in list(tables):
        rows = db.session.execute(text(f'SELECT * FROM "{table}"')).mappings().all()
        for n, row in enumerate(rows):
            dump[f"db:{table}[{n}]"] = " | ".join(f"{k}={as_text(v)}" for k, v in row.items())
    db.session.rollback()
    return dump


def log_dump(records):
    """Every log record of the process: its message, its extra fields, its traceback."""
    dump = {}
    for n, r in enumerate(records):
        extra = {k: v for k, v in vars(r).items() if k not in _STANDARD}
        dump[f"log:{r.name}[{n}]"] = " ".join(
            [r.getMessage(), as_text(extra), r.exc_text or ""])
    return dump


@pytest.fixture
def received(live_server, monkeypatch):
    """Every HTTP request our server receives from now on: method, URL, headers, body."""
    seen = []
    app = live_server.app
    inner = app.wsgi_app

    def recording(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = BytesIO(body)
        headers = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
        seen.append({"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
                     "query": environ.get("QUERY_STRING", ""), "headers": headers,
                     "body": body})
        return inner(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", recording)
    return seen


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)          # the root logger: every logger propagates here
    return caplog


def request_dump(seen):
    return {f"http:{r['method']} {r['path']}[{n}]": as_text(r) for n, r in enumerate(seen)}


def assert_never_kept(received, logs, number, cvv, checkout_id):
    dumps = {**database_dump(), **log_dump(logs.records), **request_dump(received)}
    # Not vacuous: the payment is in the database, our server was called back, it logged.
    assert any(checkout_id in v for k, v in dumps.items() if k.startswith("db:checkouts"))
    assert any(r["path"] == f"/c/{checkout_id}/return" for r in received)
    assert any(f"/c/{checkout_id}/return" in v for k, v in dumps.items()
               if k.startswith("log:werkzeug"))
    assert leaks(dumps, number, cvv) == []


def refunded(refund_id):
    """The refund settled by the provider's webhook (so that everything the provider
    sends about the card was received, logged and stored before the scan)."""
    return lambda: db.session.get(Refund, refund_id).status == "succeeded"


def test_the_scan_finds_a_card_and_a_cvv():
    for shown in ("4084 0840 8408 4081", "4084084084084081", "4084-0840-8408-4081",
                  "card_number=4084+0840+8408+4081", "4084%200840%208408%204081"):
        assert leaks({"x": f"a {shown} b"}, "4084 0840 8408 4081", "408"), shown
    assert leaks({"x": '{"cvv": "408"}'}, "4242 4242 4242 4242", "408")
    assert leaks({"x": "code=9137&x"}, "4242 4242 4242 4242", "9137")
    assert not leaks({"x": "pay_aB408x 2026-12-02T10:00:00.408Z 44084 4081"},
                     "4084 0840 8408 4081", "408")


@pytest.mark.parametrize("number", CHAPA_CARDS)
def test_a_chapa_card_payment_leaves_no_card_data_with_us(
        live_server, merchant, simulator, start_worker, received, logs, number):
    api, shopper = MerchantApi(live_server.url, merchant), Shopper(live_server.url)
    co = api.checkout(amount=123450, currency="ETB", country="ET")
    url = location(shopper.choose(co["id"], "chapa"))
    final = shopper.follow(shopper.fill_in(url, "succeed", chapa_card(number)))
    assert "Payment received" in final.text
    worker = start_worker()
    worker.run_jobs_until(lambda: len(notifications()) == 2
                          and all(n.processed_at for n in notifications()), timeout=15)
    db.session.rollback()
    assert payment(checkout(co["id"]).payment_id).status == "succeeded"
    refund = api.refund(checkout(co["id"]).payment_id, amount=100)
    assert refund.status_code == 201, refund.text
    worker.run_jobs_until(refunded(refund.json()["id"]), timeout=15)
    assert_never_kept(received, logs, number, chapa_card(number)["cvv"], co["id"])


def test_a_paystack_card_payment_leaves_no_card_data_with_us(
        live_server, merchant, simulator, start_worker, received, logs):
    api, shopper = MerchantApi(live_server.url, merchant), Shopper(live_server.url)
    co = api.checkout(amount=123450, currency="NGN", country="NG")
    url = location(shopper.choose(co["id"], "paystack_card", email="ama@example.com"))
    final = shopper.follow(shopper.fill_in(url, "succeed", PAYSTACK_CARD))
    assert "Payment received" in final.text
    worker = start_worker()
    worker.run_jobs_until(lambda: len(notifications()) == 1
                          and all(n.processed_at for n in notifications()), timeout=15)
    db.session.rollback()
    payment_id = checkout(co["id"]).payment_id
    assert payment(payment_id).status == "succeeded"
    # The provider does hold the card's BIN and last four (what PCI allows): so do its
    # webhook bodies we store. Never more.
    assert b"4081" in bytes(notifications()[0].body)
    assert reference_for(payment_id) in bytes(notifications()[0].body).decode()
    refund = api.refund(payment_id, amount=100)
    assert refund.status_code == 201, refund.text
    worker.run_jobs_until(refunded(refund.json()["id"]), timeout=15)
    assert_never_kept(received, logs, PAYSTACK_CARD["card_number"], PAYSTACK_CARD["cvv"],
                      co["id"])
