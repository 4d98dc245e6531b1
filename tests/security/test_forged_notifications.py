"""Forged, replayed and tampered incoming notifications, for every gateway that receives
them: each is recorded (stored raw, or counted as a duplicate), and none changes a
payment. Over real HTTP: the live app, the provider's simulator, the real worker code.

``GATEWAYS`` has one row per gateway whose adapter parses notifications (cash on
delivery sends none); ``test_every_notifying_gateway_has_a_row`` fails for a new one
until its row says how to make, for that provider:

- a payment that the provider keeps pending (never settles it) and one that it settles
  and notifies for real;
- a notification body as the provider sends it for a payment, with overrides (a claimed
  status, another amount);
- bodies the provider never sends (malformed);
- for a provider that signs its notifications, how it signs a body with an account's
  credentials (``sign``), and what a forger could have copied from any earlier
  notification that does not depend on the body (``leaked``). A forger has neither the
  account's secret nor the provider's: every forged body it signs is refused (400,
  recorded as rejected); what the provider really signs is believed only for the
  account whose secret signed it.
"""
import itertools
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from flask import current_app

from checkout.core import secretbox
from checkout.core.money import to_major_str
from checkout.extensions import db
from checkout.gateways import all_gateways, get_gateway
from checkout.gateways.base import Gateway
from checkout.gateways.chapa.notifications import signature as chapa_signature
from checkout.gateways.paystack.notifications import signature as paystack_signature
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, GatewayNotification, Payment
from checkout.payments import flow
from checkout.webhooks_in import process
from checkout.webhooks_in.process import CALLBACK_HEADER
from checkout.webhooks_in.process import CLIENT_ADDRESS as CLIENT_ADDRESS_HEADER
from tests.factories import (
    checkout,
    events,
    make_checkout,
    notifications,
    payment,
    start_attempt,
    timeline,
)
from tests.webhooks_in.support import feexpay_webhook, notify_url


@dataclass(frozen=True)
class NotifyingGateway:
    pending: object            # merchant -> (checkout id, payment id): the provider never settles
    paid: object               # merchant -> (checkout id, payment id): settled, and notified
    body: object               # (payment id, **overrides) -> bytes, as the provider sends it
    success: dict              # overrides: the notification claims success
    failure: dict              # overrides: the notification claims failure
    amount: str                # the body's amount field
    content_type: str
    malformed: tuple           # bodies the provider never sends
    sign: object = None        # (credentials, body) -> headers; None: the provider signs nothing
    leaked: object = None      # credentials -> body-independent headers a forger could copy
    # What an unsigned notification that names another amount becomes once processed:
    # "pending" when the adapter reads no amount from it (the status call decides),
    # "claim_mismatch" when it does (never believed, never asked about).
    tampered_outcome: str = "pending"


# -- Chapa: a hosted page in birr, flat HMAC-SHA256-signed webhooks, GET callbacks ----------

def chapa_pending(merchant):
    """A Chapa payment whose page the shopper never finishes: Chapa keeps it pending."""
    checkout_id = make_checkout(merchant, amount=250000, currency="ETB", country="ET")
    return checkout_id, flow.start_payment(checkout_id, "chapa").id


def chapa_paid(merchant):
    """A Chapa payment paid on its page (the simulator's own completion): Chapa sends
    its GET callback and its signed charge.success webhook."""
    checkout_id, payment_id = chapa_pending(merchant)
    reference = db.session.get(Payment, payment_id).provider_reference
    r = requests.post(f"{current_app.config['SIMULATOR_URL']}/chapa/_sim/transactions/"
                      f"{reference}/complete", json={"status": "success"}, timeout=10)
    assert r.status_code == 200, r.text
    return checkout_id, payment_id


def chapa_webhook(payment_id, **overrides):
    """A webhook body as Chapa sends it (providers.md 2.5: flat, compact JSON)."""
    pay = db.session.get(Payment, payment_id)
    body = {"event": "charge.success", "first_name": "Abebe", "last_name": "Bikila",
            "email": "abebe@example.com", "mobile": "251900000001", "currency": pay.currency,
            "amount": to_major_str(pay.amount, pay.currency), "charge": "87.50",
            "status": "success", "mode": "test", "reference": "APfAkE0000001",
            "created_at": "2026-01-01T00:00:00.000000Z",
            "updated_at": "2026-01-01T00:00:05.000000Z", "type": "API",
            "tx_ref": pay.provider_reference, "payment_method": "card",
            "customization": {"title": "Shop", "description": None, "logo": None},
            "meta": None}
    body.update(overrides)
    return json.dumps(body, separators=(",", ":")).encode()


def chapa_sign(credentials, body):
    secret = credentials["webhook_secret"]
    return {"x-chapa-signature": chapa_signature(secret, body),
            "chapa-signature": chapa_signature(secret, secret.encode())}


def chapa_leaked(credentials):
    """``chapa-signature`` is the secret's HMAC of itself: the same on every webhook."""
    secret = credentials["webhook_secret"]
    return {"chapa-signature": chapa_signature(secret, secret.encode())}


_CHAPA = b'{"event":"charge.success","tx_ref":"pay_x","currency":"ETB",'

# -- Paystack: mobile money in cedis, {event, data} webhooks signed HMAC-SHA512 -------------

PAYSTACK_EMAIL = "ama@example.com"


def paystack_attempt(merchant, magic):
    """A Paystack MTN Ghana charge whose number's last two digits pick the simulator's
    scenario (04: never answers; 01: succeeds, then charge.success)."""
    checkout_id = make_checkout(merchant, amount=2500, currency="GHS", country="GH",
                                customer={"email": PAYSTACK_EMAIL})
    return checkout_id, flow.start_payment(checkout_id, "paystack_mtn_gh",
                                           f"+2332400000{magic}").id


def paystack_webhook(payment_id, event="charge.success", **overrides):
    """A webhook body as Paystack sends it (providers.md 3.5: charge.success data is the
    verify data)."""
    pay = db.session.get(Payment, payment_id)
    data = {"id": 4100009999, "domain": "test", "status": "success",
            "reference": pay.provider_reference, "amount": pay.amount,
            "gateway_response": "Approved", "paid_at": "2026-01-01T00:00:05.000Z",
            "created_at": "2026-01-01T00:00:00.000Z", "channel": "mobile_money",
            "currency": pay.currency, "metadata": {"payment_id": pay.id},
            "customer": {"email": PAYSTACK_EMAIL}}
    data.update(overrides)
    return json.dumps({"event": event, "data": data}, separators=(",", ":")).encode()


def paystack_sign(credentials, body):
    return {"x-paystack-signature": paystack_signature(credentials["secret_key"], body)}


_PAYSTACK = b'{"event":"charge.success","data":'

# -- M-Pesa Kenya (Daraja): the STK callback, unsigned, JSON, amount in whole shillings ----

_DARAJA_NUMBERS = itertools.count(1)


def daraja_attempt(merchant, magic):
    """An STK push to a Safaricom number ending in ``magic`` (04: never answered, so
    Daraja's query keeps saying "being processed"; 01: paid, then the callback). Each
    push goes to a number of its own: Daraja refuses a second open prompt on one phone."""
    checkout_id = make_checkout(merchant, amount=150000, currency="KES", country="KE")
    phone = f"+254708{next(_DARAJA_NUMBERS) % 10000:04d}{magic}"
    return checkout_id, flow.start_payment(checkout_id, "mpesa_ke", phone).id


_CALLBACK_TOP = ("MerchantRequestID", "CheckoutRequestID", "ResultCode", "ResultDesc")


def daraja_callback(payment_id, **overrides):
    """An STK callback as Daraja POSTs it to the push's CallBackURL (providers.md 4.4):
    ``ResultCode`` a number, ``CallbackMetadata`` (success only) items read by name.
    Overrides name a top-level field or a metadata item (Amount in shillings,
    PhoneNumber as a number, MpesaReceiptNumber...)."""
    pay = db.session.get(Payment, payment_id)
    top = {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID":
           pay.provider_reference, "ResultCode": 0,
           "ResultDesc": "The service request is processed successfully."}
    meta = {"Amount": pay.amount / 100, "MpesaReceiptNumber": "NLJ7RT61SV",
            "Balance": None, "TransactionDate": 20260101120005,
            "PhoneNumber": int(pay.phone.removeprefix("+"))}
    for key, value in overrides.items():
        (top if key in _CALLBACK_TOP else meta)[key] = value
    callback = dict(top)
    if top["ResultCode"] == 0:
        callback["CallbackMetadata"] = {"Item": [
            {"Name": k} if v is None else {"Name": k, "Value": v} for k, v in meta.items()]}
    return json.dumps({"Body": {"stkCallback": callback}}).encode()


_STK = b'{"Body": {"stkCallback": '

GATEWAYS = {
    "feexpay": NotifyingGateway(
        pending=lambda m: start_attempt(m, "04"),
        paid=lambda m: start_attempt(m, "01"),
        body=lambda pid, **o: json.dumps(feexpay_webhook(pid, **o)).encode(),
        success={"status": "SUCCESSFUL"}, failure={"status": "FAILED"}, amount="amount",
        content_type="application/json",
        malformed=(b"", b"not json", b"{", b"[]", b'"SUCCESSFUL"', b"null", b"{}",
                   b'{"status": "SUCCESSFUL"}', b'{"reference": 12, "status": "SUCCESSFUL"}',
                   b'{"reference": "../../etc", "status": "SUCCESSFUL"}',
                   b"\xff\xfe\x00garbage", b"reference=abc&status=SUCCESSFUL",
                   b'{"reference": "' + b"a" * 5000 + b'"}'),
    ),
    "chapa": NotifyingGateway(
        pending=chapa_pending, paid=chapa_paid, body=chapa_webhook,
        success={"event": "charge.success", "status": "success"},
        failure={"event": "charge.failed", "status": "failed"}, amount="amount",
        content_type="application/json", sign=chapa_sign, leaked=chapa_leaked,
        malformed=(b"", b"not json", b"{", b"[]", b'"charge.success"', b"null",
                   b'{"event": "charge.success"}', b'{"event": "charge.success", "tx_ref": 12}',
                   b'{"event": "charge.success", "tx_ref": "../../etc", "mode": "test"}',
                   b'{"event": "charge.success", "tx_ref": "pay_x"}',
                   _CHAPA + b'"mode":"live","status":"success","amount":"1.00"}',
                   _CHAPA + b'"mode":"test","status":"success","amount":"abc"}',
                   _CHAPA + b'"mode":"test","status":"success"}',
                   _CHAPA + b'"mode":"test","status":"failed","amount":"1.00"}',
                   b'{"event":"charge.refunded","tx_ref":"pay_x","mode":"test"}',
                   b"\xff\xfe\x00garbage", b"tx_ref=pay_x&status=success",
                   b'{"event": "charge.success", "tx_ref": "' + b"a" * 5000 + b'"}'),
    ),
    "paystack": NotifyingGateway(
        pending=lambda m: paystack_attempt(m, "04"), paid=lambda m: paystack_attempt(m, "01"),
        body=paystack_webhook, success={"status": "success"},
        failure={"status": "failed", "gateway_response": "Declined"}, amount="amount",
        content_type="application/json", sign=paystack_sign,
        malformed=(b"", b"not json", b"{", b"[]", b'"charge.success"', b"null", b"{}",
                   b'{"event": "charge.success"}', b'{"event": "charge.success", "data": []}',
                   b'{"event": 12, "data": {}}', _PAYSTACK + b'{}}',
                   _PAYSTACK + b'{"domain":"test"}}',
                   _PAYSTACK + b'{"domain":"test","reference":"../../etc","status":"success"}}',
                   _PAYSTACK + b'{"domain":"live","reference":"pay-x","status":"success",'
                               b'"amount":100,"currency":"GHS"}}',
                   b'{"event":"refund.processed","data":{"domain":"test"}}',
                   b'{"event":"refund.processed","data":{"domain":"test",'
                   b'"transaction_reference":"pay-x","amount":"1.5","currency":"GHS"}}',
                   b"\xff\xfe\x00garbage", b"reference=pay-x&status=success",
                   _PAYSTACK + b'{"domain":"test","reference":"' + b"a" * 5000 + b'"}}'),
    ),
    "mpesa_ke": NotifyingGateway(
        pending=lambda m: daraja_attempt(m, "04"), paid=lambda m: daraja_attempt(m, "01"),
        body=daraja_callback, success={"ResultCode": 0},
        failure={"ResultCode": 1032, "ResultDesc": "Request cancelled by user"},
        amount="Amount", content_type="application/json", tampered_outcome="claim_mismatch",
        malformed=(b"", b"not json", b"{", b"[]", b'"Body"', b"null", b"{}",
                   b'{"Body": {}}', b'{"Body": {"stkCallback": []}}', _STK + b'{}}}',
                   _STK + b'{"ResultCode": 0}}}',
                   _STK + b'{"CheckoutRequestID": "ws_CO_01012026120000000001"}}}',
                   _STK + b'{"CheckoutRequestID": 12, "ResultCode": 0}}}',
                   _STK + b'{"CheckoutRequestID": "../../etc", "ResultCode": 0}}}',
                   _STK + b'{"CheckoutRequestID": "ws_CO_1", "ResultCode": true}}}',
                   _STK + b'{"CheckoutRequestID": "ws_CO_1", "ResultCode": {"a": 1}}}}',
                   b'{"Result": {}}', b'{"Result": {"ResultCode": 0}}',
                   b'{"stkCallback": {"CheckoutRequestID": "ws_CO_1", "ResultCode": 0}}',
                   b"\xff\xfe\x00garbage", b"CheckoutRequestID=ws_CO_1&ResultCode=0",
                   _STK + b'{"CheckoutRequestID": "' + b"a" * 5000 + b'", "ResultCode": 0}}}'),
    ),
}


def notifying_gateways():
    return sorted(name for name, gw in all_gateways().items()
                  if type(gw).parse_notification is not Gateway.parse_notification)


def test_every_notifying_gateway_has_a_row():
    assert notifying_gateways(), "no gateway receives notifications?"
    assert notifying_gateways() == sorted(GATEWAYS)


@pytest.fixture(params=sorted(GATEWAYS))
def gateway(request, live_server):
    """Each notifying gateway's name, with the app and the simulators on real ports."""
    return request.param


def _post(url, body, row, headers=None):
    return requests.post(url, data=body, timeout=10,
                         headers={"Content-Type": row.content_type, **(headers or {})})


def _snapshot(checkout_id, payment_id):
    pay, co = payment(payment_id), checkout(checkout_id)
    return {"payment": (pay.status, pay.amount, pay.failure_code, pay.completed_at),
            "checkout": (co.status, co.payment_id, co.paid_late),
            "timeline": [(e.type, e.to_status) for e in timeline(checkout_id)],
            "events": [e.type for e in events(checkout_id)]}


def _processed(note_id=None):
    def done():
        notes = notifications()
        return notes and all(n.processed_at for n in notes
                             if note_id is None or n.id == note_id)
    return done


def _paid_and_notified(payment_id):
    """Paid, and the provider's webhook (not only Chapa's earlier GET callback) received
    and processed."""
    def done():
        return payment(payment_id).status == "succeeded" and _processed()() and any(
            n.headers.get(CALLBACK_HEADER) != "GET" for n in notifications())
    return done


def _credentials(payment_id):
    """The credentials of the account a payment was made on (what its provider signs
    with)."""
    pay = db.session.get(Payment, payment_id)
    credentials = account_context(db.session.get(GatewayAccount, pay.gateway_account_id)
                                  ).credentials
    db.session.commit()
    return credentials


def _signed(row, payment_id, body):
    """The headers the provider sends with ``body`` about this payment (none for a
    provider that signs nothing)."""
    return row.sign(_credentials(payment_id), body) if row.sign else {}


def _forgeries(gateway, row, payment_id, body):
    """Every way a forger may try to authenticate ``body``: no signature, a signature
    made with another key, a real signature of another body, and whatever it copied of
    an earlier notification that does not depend on the body."""
    real = _credentials(payment_id)
    tries = {"unsigned": {},
             "another key": row.sign(get_gateway(gateway).test_credentials(), body),
             "another body's signature": row.sign(real, body + b" ")}
    if row.leaked:
        tries["copied header"] = row.leaked(real)
    return tries


def _rejected(r):
    return r.status_code == 400 and r.json()["error"]["code"] == "verification_failed"


def _token(merchant, gateway):
    return db.session.execute(db.select(GatewayAccount.webhook_token).where(
        GatewayAccount.merchant_id == merchant.id, GatewayAccount.gateway == gateway,
        GatewayAccount.livemode.is_(False))).scalar_one()


def _age(note_id, minutes):
    note = db.session.get(GatewayNotification, note_id)
    note.received_at -= timedelta(minutes=minutes)
    db.session.commit()


# -- (a) forged -------------------------------------------------------------------------

def test_forged_success_for_a_pending_payment_is_recorded_and_changes_nothing(
        gateway, merchant, run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    body = row.body(payment_id, **row.success)
    if row.sign is None:
        r = _post(notify_url(payment_id), body, row)
        assert r.status_code == 200 and r.json() == {"received": True, "duplicate": False}
    else:
        for how, headers in _forgeries(gateway, row, payment_id, body).items():
            assert _rejected(_post(notify_url(payment_id), body, row, headers)), how
    run_jobs_until(_processed(), timeout=15, what="the notification processed")
    [note] = notifications()
    assert bytes(note.body) == body and note.gateway == gateway
    # Unsigned: the provider was asked, and says pending. Signed: refused as forged.
    assert note.outcome == ("pending" if row.sign is None else "rejected")
    assert _snapshot(checkout_id, payment_id) == before
    assert payment(payment_id).status == "pending"


# -- (b) replayed -----------------------------------------------------------------------

def test_a_replayed_real_notification_is_deduplicated(gateway, merchant, run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.paid(merchant)
    run_jobs_until(_paid_and_notified(payment_id), timeout=20,
                   what="paid, its real notification processed")
    real = notifications()       # a webhook (and Chapa's GET callback, with it)
    assert sum(n.headers.get(CALLBACK_HEADER) != "GET" for n in real) == 1
    after_real = _snapshot(checkout_id, payment_id)
    assert after_real["events"].count("checkout.paid") == 1
    for note in real:
        headers = {k: v for k, v in note.headers.items()
                   if k.lower() not in ("host", "content-length", CALLBACK_HEADER.lower())}
        for _ in range(3):
            if note.headers.get(CALLBACK_HEADER) == "GET":
                r = requests.get(f"{notify_url(payment_id)}?{bytes(note.body).decode()}",
                                 headers=headers, timeout=10)
            else:
                r = requests.post(notify_url(payment_id), data=bytes(note.body),
                                  headers=headers, timeout=10)
            assert r.status_code == 200 and r.json() == {"received": True, "duplicate": True}
    run_jobs_until(_processed(), timeout=10)
    # The rows were loaded before the replays: read them again (a rollback with no
    # transaction open expires nothing).
    db.session.expire_all()
    notes = notifications()
    assert [n.id for n in notes] == [n.id for n in real]
    assert all(n.duplicates == 3 for n in notes), [(n.duplicates, n.outcome) for n in notes]
    assert _snapshot(checkout_id, payment_id) == after_real
    assert [e.to_status for e in timeline(checkout_id, "status_changed")] == ["succeeded"]


# -- (c) tampered -----------------------------------------------------------------------

def test_a_changed_amount_claiming_success_changes_nothing(gateway, merchant, run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    body = row.body(payment_id, **row.success, **{row.amount: 1})
    # A signed provider's real signature, of the body as it was before the amount changed.
    headers = _signed(row, payment_id, row.body(payment_id, **row.success))
    r = _post(notify_url(payment_id), body, row, headers)
    assert r.status_code == 200 if row.sign is None else _rejected(r)
    run_jobs_until(_processed(), timeout=15)
    [note] = notifications()
    assert bytes(note.body) == body
    assert note.outcome == (row.tampered_outcome if row.sign is None else "rejected")
    assert _snapshot(checkout_id, payment_id) == before


def test_a_claimed_failure_of_a_paid_payment_changes_nothing(gateway, merchant,
                                                              run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.paid(merchant)
    run_jobs_until(_paid_and_notified(payment_id), timeout=20)
    before = _snapshot(checkout_id, payment_id)
    seen = sum(n.duplicates for n in notifications())
    body = row.body(payment_id, **row.failure, **{row.amount: 1})
    # Even signed with the account's real secret (what only the provider can do), a
    # failure after the success changes nothing.
    r = _post(notify_url(payment_id), body, row, _signed(row, payment_id, body))
    assert r.status_code == 200, r.text
    run_jobs_until(_processed(), timeout=15)
    notes = notifications()
    # Recorded: stored raw, or counted as a repeat of the provider's event.
    assert bytes(notes[-1].body) == body if not r.json().get("duplicate") else \
        sum(n.duplicates for n in notes) == seen + 1
    after = _snapshot(checkout_id, payment_id)
    assert after["payment"] == before["payment"] and after["checkout"] == before["checkout"]
    assert after["events"] == before["events"]
    assert payment(payment_id).status == "succeeded"


def test_another_merchants_payment_named_at_my_endpoint_changes_nothing(
        gateway, merchant, make_merchant):
    """Mallory sends Alice's payment reference to Mallory's own endpoint (and Alice's
    to Alice's endpoint with Mallory's reference): neither account owns the other's
    payment, both stay pending."""
    row = GATEWAYS[gateway]
    mallory = make_merchant(name="Mallory")
    a_checkout, a_payment = row.pending(merchant)
    m_checkout, m_payment = row.pending(mallory)
    before = (_snapshot(a_checkout, a_payment), _snapshot(m_checkout, m_payment))
    for target, named in ((m_payment, a_payment), (a_payment, m_payment)):
        # Signed with the target endpoint's own secret: Mallory signs with hers.
        body = row.body(named, **row.success)
        r = _post(notify_url(target), body, row, _signed(row, target, body))
        assert r.status_code == 200 and r.json()["duplicate"] is False
    notes = notifications()
    assert len(notes) == 2                                           # both recorded
    for note in notes:
        assert process.process_notification(note.id) == "retry_later"    # no such payment
        _age(note.id, 11)                                            # past the patience
        assert process.process_notification(note.id) == "unknown_payment"
    db.session.rollback()
    assert (_snapshot(a_checkout, a_payment), _snapshot(m_checkout, m_payment)) == before


def test_my_notification_sent_with_another_accounts_token_changes_nothing(
        gateway, merchant, make_merchant):
    row = GATEWAYS[gateway]
    other = make_merchant(name="Other")
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    other_account = db.session.execute(db.select(GatewayAccount).where(
        GatewayAccount.merchant_id == other.id, GatewayAccount.gateway == gateway,
        GatewayAccount.livemode.is_(False))).scalar_one()
    url = account_context(other_account).notify_url
    body = row.body(payment_id, **row.success)
    # As the provider signed it for my account (replayed at the other account's URL).
    r = _post(url, body, row, _signed(row, payment_id, body))
    [note] = notifications()
    assert note.gateway_account_id == other_account.id                # recorded there
    if row.sign is not None:
        # Not signed with that account's secret: refused on arrival.
        assert _rejected(r) and note.outcome == "rejected" and note.processed_at
        db.session.rollback()
        assert _snapshot(checkout_id, payment_id) == before
        return
    assert r.status_code == 200
    assert process.process_notification(note.id) == "retry_later"
    _age(note.id, 11)
    assert process.process_notification(note.id) == "unknown_payment"
    db.session.rollback()
    assert _snapshot(checkout_id, payment_id) == before


# -- (d) wrong token --------------------------------------------------------------------

def test_a_wrong_token_is_a_404_and_nothing_is_stored(gateway, merchant, live_server):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    body = row.body(payment_id, **row.success)
    mine = _token(merchant, gateway)
    other_gateway = next(name for name in all_gateways() if name != gateway)
    urls = [f"{live_server.url}/webhooks/{gateway}/{t}" for t in (
        "not-a-token", mine[:-1], mine + "x", mine.upper() if mine.upper() != mine else "X",
        _token(merchant, other_gateway), "t" * 65)]
    urls.append(f"{live_server.url}/webhooks/no-such-gateway/{mine}")
    urls.append(f"{live_server.url}/webhooks/{other_gateway}/{mine}")
    for url in urls:
        r = _post(url, body, row)
        assert r.status_code == 404, url
        if r.headers.get("Content-Type", "").startswith("application/json"):
            assert r.json()["error"]["code"] == "unknown_endpoint"
    assert notifications() == []
    assert _snapshot(checkout_id, payment_id) == before


def test_a_token_or_gateway_with_a_nul_is_a_404_not_an_outage(gateway, merchant,
                                                               live_server):
    row = GATEWAYS[gateway]
    _c, payment_id = row.pending(merchant)
    body = row.body(payment_id, **row.success)
    mine = _token(merchant, gateway)
    for url in (f"{live_server.url}/webhooks/{gateway}/%00",
                f"{live_server.url}/webhooks/{gateway}/{mine}%00",
                f"{live_server.url}/webhooks/{gateway}%00/{mine}"):
        assert _post(url, body, row).status_code == 404, url
    assert notifications() == []


# -- (e) malformed ----------------------------------------------------------------------

def test_a_malformed_body_is_a_400_recorded_and_changes_nothing(gateway, merchant,
                                                                 run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    for body in row.malformed:
        # Signed with the real secret when the provider signs: the parser refuses them.
        r = _post(notify_url(payment_id), body, row, _signed(row, payment_id, body))
        assert r.status_code == 400, body
        assert r.json()["error"]["code"] in ("verification_failed",
                                             "unprocessable_notification")
    notes = notifications()
    assert sorted(bytes(n.body) for n in notes) == sorted(set(row.malformed))
    assert all(n.outcome == "rejected" and n.processed_at for n in notes)
    run_jobs_until(lambda: True, timeout=5)
    assert _snapshot(checkout_id, payment_id) == before


# -- (f) Daraja's unsigned STK callback: what stands in for a signature ------------------

def _daraja_post(payment_id, body, headers=None):
    return _post(notify_url(payment_id), body, GATEWAYS["mpesa_ke"], headers)


def _allow_only(merchant, addresses):
    """Set the merchant's Daraja account's ``allowed_ips`` (Safaricom's callback
    addresses, as the merchant configures them)."""
    account = db.session.execute(db.select(GatewayAccount).where(
        GatewayAccount.merchant_id == merchant.id, GatewayAccount.gateway == "mpesa_ke",
        GatewayAccount.livemode.is_(False))).scalar_one()
    credentials = secretbox.decrypt(account.credentials_encrypted)
    account.credentials_encrypted = secretbox.encrypt({**credentials,
                                                       "allowed_ips": addresses})
    db.session.commit()


def test_daraja_a_checkout_request_we_never_issued_changes_nothing(merchant, live_server):
    checkout_id, payment_id = daraja_attempt(merchant, "04")
    before = _snapshot(checkout_id, payment_id)
    body = daraja_callback(payment_id, CheckoutRequestID="ws_CO_01012026120000123456")
    r = _daraja_post(payment_id, body)
    assert r.status_code == 200 and r.json() == {"received": True, "duplicate": False}
    [note] = notifications()
    assert bytes(note.body) == body                                     # recorded
    assert process.process_notification(note.id) == "retry_later"
    _age(note.id, 11)
    assert process.process_notification(note.id) == "unknown_payment"
    db.session.rollback()
    assert _snapshot(checkout_id, payment_id) == before


@pytest.mark.parametrize("claim", [
    {"PhoneNumber": 254708999901},                      # another payer
    {"Amount": 1.0},                                    # another amount
    {"Amount": 1500.0, "PhoneNumber": 254733001101},    # the amount right, the payer not
])
def test_daraja_a_success_naming_another_payer_or_amount_is_never_believed(
        claim, merchant, live_server, run_jobs_until):
    """A success callback naming another phone or amount than our push's is kept for
    the record, never believed, and Daraja is not even asked about it."""
    checkout_id, payment_id = daraja_attempt(merchant, "04")
    before = _snapshot(checkout_id, payment_id)
    body = daraja_callback(payment_id, **claim)
    assert _daraja_post(payment_id, body).status_code == 200
    run_jobs_until(_processed(), timeout=15)
    [note] = notifications()
    assert bytes(note.body) == body and note.outcome == "claim_mismatch"
    assert _snapshot(checkout_id, payment_id) == before


def test_daraja_a_callback_from_outside_the_allowed_addresses_is_refused(
        merchant, live_server, run_jobs_until):
    _allow_only(merchant, "196.201.214.200, 196.201.214.206")
    checkout_id, payment_id = daraja_attempt(merchant, "04")
    before = _snapshot(checkout_id, payment_id)
    body = daraja_callback(payment_id)
    # From 127.0.0.1, and again claiming to come from Safaricom (our receiver drops a
    # sender's copy of the address header): refused, recorded, nothing asked.
    for headers in ({}, {CLIENT_ADDRESS_HEADER: "196.201.214.200",
                         "X-Forwarded-For": "196.201.214.200"}):
        assert _rejected(_daraja_post(payment_id, body, headers))
    [note] = notifications()
    assert bytes(note.body) == body and note.outcome == "rejected" and note.processed_at
    assert note.duplicates == 1
    assert note.headers[CLIENT_ADDRESS_HEADER] == "127.0.0.1"
    assert _snapshot(checkout_id, payment_id) == before
    # The same callback from an allowed address is received (and, unconfirmed by
    # Daraja's query, still changes nothing).
    _allow_only(merchant, "196.201.214.200,127.0.0.1")
    r = _daraja_post(payment_id, body)
    assert r.status_code == 200 and r.json()["duplicate"] is False
    run_jobs_until(_processed(), timeout=15)
    assert [n.outcome for n in notifications()] == ["rejected", "pending"]
    assert _snapshot(checkout_id, payment_id) == before
