"""Paystack adapter, webhooks (providers.md 3.5): the HMAC-SHA512 signature over the raw
bytes, the optional sender allow-list, and the events read into Notifications."""
import json
from dataclasses import replace

import pytest
from werkzeug.datastructures import Headers

from checkout.gateways.errors import GatewayNotSupported, WebhookVerificationError

from .conftest import KEY, PAY, REF, sign, transaction


def event(name="charge.success", **data):
    return json.dumps({"event": name, "data": data or transaction()}).encode()


def signed(body, key=KEY, name="x-paystack-signature"):
    return {name: sign(body, key), "Content-Type": "application/json"}


def test_charge_success_is_a_verified_result(gw, account, http_mock):
    body = event()
    n = gw.parse_notification(account, signed(body), body)
    assert (n.provider_reference, n.dedup_key, n.payment_hint) == \
        (REF, f"{REF}:charge.success", PAY)
    r = n.result
    assert (r.status, r.provider_reference, r.amount, r.currency) == \
        ("succeeded", REF, 150000, "NGN")
    assert n.refund is None and len(http_mock.calls) == 0      # parsing never calls out
    assert gw.notifications_need_confirmation is False


def test_redeliveries_share_a_dedup_key(gw, account):
    first, again = event(), event(**transaction(paid_at="2026-01-01T10:09:00.000Z"))
    assert gw.parse_notification(account, signed(first), first).dedup_key == \
        gw.parse_notification(account, signed(again), again).dedup_key


@pytest.mark.parametrize("headers", [
    lambda b: signed(b, name="X-Paystack-Signature"),
    lambda b: Headers(signed(b, name="X-PAYSTACK-SIGNATURE")),
    lambda b: {"x-paystack-signature": sign(b).upper()},
])
def test_header_name_and_hex_case_do_not_matter(gw, account, headers):
    body = event()
    assert gw.parse_notification(account, headers(body), body).result.status == "succeeded"


def test_signature_is_checked_on_the_exact_bytes(gw, account):
    body = event()
    spaced = json.dumps(json.loads(body), indent=2).encode()   # same JSON, other bytes
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, signed(body), spaced)


@pytest.mark.parametrize("headers", [
    lambda b: signed(b.replace(b"150000", b"1500")),         # signature of another body
    lambda b: signed(b, key="sk_test_someone_else"),          # wrong key
    lambda b: signed(b, key="sk_live_0123456789abcdef"),      # the other mode's key
    lambda b: {},                                             # missing header
    lambda b: {"x-paystack-signature": ""},
    lambda b: {"x-paystack-signature": sign(b)[:-2]},
    lambda b: {"x-paystack-signature": "sha512=" + sign(b)},
])
def test_bad_signatures_are_refused(gw, account, headers):
    body = event()
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, headers(body), body)


def test_a_tampered_body_is_refused(gw, account):
    body = event()
    headers = signed(body)
    tampered = body.replace(b"150000", b"999999")
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, headers, tampered)


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b'{"event": 1, "data": {}}',
                                  b'{"event": "charge.success"}',
                                  b'{"event": "charge.success", "data": []}',
                                  b"[" * 30_000 + b"]" * 30_000])
def test_signed_garbage_is_refused(gw, account, body):
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, signed(body), body)


def test_too_large_or_not_bytes(gw, account):
    big = event(**transaction(note="x" * 70_000))
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, signed(big), big)
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, {}, None)


@pytest.mark.parametrize("domain", ["live", None, "TEST"])
def test_another_modes_event_is_refused(gw, account, domain):
    body = event(**transaction(domain=domain))
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, signed(body), body)


def test_a_live_account_takes_live_events_signed_with_its_key(gw, live_account):
    body = event(**transaction(domain="live"))
    n = gw.parse_notification(live_account, signed(body, "sk_live_0123456789abcdef"), body)
    assert n.result.status == "succeeded"


@pytest.mark.parametrize("fields", [{"amount": "abc"}, {"amount": None}, {"currency": None},
                                    {"status": "failed"}])
def test_a_charge_event_we_cannot_read_is_confirmed_by_verify(gw, account, fields):
    body = event(**transaction(**fields))
    n = gw.parse_notification(account, signed(body), body)
    assert n.result is None and n.provider_reference == REF


@pytest.mark.parametrize("reference", [None, "", "a/b", "x" * 200])
def test_a_charge_event_without_a_usable_reference(gw, account, reference):
    body = event(**transaction(reference=reference))
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, signed(body), body)


def refund(status, **fields):
    data = {"status": status, "transaction_reference": REF, "refund_reference": None,
            "amount": "10000", "currency": "NGN", "processor": "mpgs_zen",
            "customer": {"email": "ama@example.com"}, "integration": 412829, "domain": "test"}
    data.update(fields)
    return data


@pytest.mark.parametrize("name, data, status, own, amount, message", [
    ("refund.pending", refund("pending"), "pending", None, 10000, None),
    ("refund.processing", refund("processing"), "pending", None, 10000, None),
    ("refund.processed", refund("processed", refund_reference="132013318360", amount="5000"),
     "succeeded", "132013318360", 5000, None),
    ("refund.failed", refund("failed", refund_reference="TRF_9vgfawjnoz58uxy", amount=20000),
     "failed", "TRF_9vgfawjnoz58uxy", 20000, "Paystack could not process the refund."),
    ("refund.processed", refund("processed", id=15500001, refund_reference="1320"),
     "succeeded", "15500001", 10000, None),
    ("refund.processed", refund("processed", currency="XOF", amount="500000"),
     "succeeded", None, 5000, None),
])
def test_refund_events(gw, account, name, data, status, own, amount, message):
    body = event(name, **data)
    n = gw.parse_notification(account, signed(body), body)
    assert n.result is None and n.provider_reference == REF
    u = n.refund
    assert (u.status, u.provider_reference, u.payment_reference) == (status, own, REF)
    assert (u.amount, u.currency, u.failure_message) == (amount, data["currency"], message)


def test_refund_event_dedup_keys(gw, account):
    keys = set()
    for name, data in [("refund.pending", refund("pending")),
                       ("refund.processed", refund("processed", refund_reference="1")),
                       ("refund.pending", refund("pending", amount="20000"))]:
        body = event(name, **data)
        keys.add(gw.parse_notification(account, signed(body), body).dedup_key)
    assert len(keys) == 3


@pytest.mark.parametrize("data", [refund("processed", transaction_reference=None),
                                  refund("processed", amount="12.5"),
                                  refund("processed", domain="live")])
def test_unreadable_refund_events_are_refused(gw, account, data):
    body = event("refund.processed", **data)
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, signed(body), body)


@pytest.mark.parametrize("name", ["transfer.success", "charge.dispute.create",
                                  "subscription.create", "paymentrequest.success"])
def test_other_events_are_ignored(gw, account, name):
    body = event(name)
    with pytest.raises(GatewayNotSupported, match=f"ignored event {name}"):
        gw.parse_notification(account, signed(body), body)


def test_other_events_still_need_a_valid_signature(gw, account):
    body = event("transfer.success")
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, {}, body)


@pytest.mark.parametrize("address, ok", [("52.31.139.75", True), ("52.214.14.220", True),
                                         ("10.0.0.1", False), ("", False), (None, False)])
def test_optional_sender_allow_list(gw, account, address, ok):
    allowed = replace(account, credentials={
        "secret_key": KEY, "allowed_ips": "52.31.139.75, 52.49.173.169,52.214.14.220"})
    body = event()
    headers = signed(body)
    if address is not None:
        headers["X-Checkout-Client-Address"] = address
    if ok:
        assert gw.parse_notification(allowed, headers, body).result is not None
    else:
        with pytest.raises(WebhookVerificationError):
            gw.parse_notification(allowed, headers, body)
