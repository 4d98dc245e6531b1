"""Chapa adapter, webhooks (providers.md 2.5) and the GET callback (2.3): every signature
check, every event, and the mode and shape checks."""
import hashlib
import hmac
import json
from dataclasses import replace

import pytest
from werkzeug.datastructures import Headers

from checkout.gateways.errors import GatewayNotSupported, WebhookVerificationError

from .conftest import PAY_ID, WEBHOOK_SECRET


def hook(**fields):
    """A flat webhook body as Chapa sends it (compact JSON bytes)."""
    body = {"event": "charge.success", "first_name": "Abebe", "last_name": "Bikila",
            "email": "abebe@example.et", "mobile": "251900000000", "currency": "ETB",
            "amount": "400.00", "charge": "12.00", "status": "success", "mode": "test",
            "reference": "APqDvY2v8l3", "created_at": "2026-01-01T10:00:00.000000Z",
            "updated_at": "2026-01-01T10:01:00.000000Z", "type": "API", "tx_ref": PAY_ID,
            "payment_method": "telebirr",
            "customization": {"title": "Shop", "description": None, "logo": None},
            "meta": None}
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not ...},
                      separators=(",", ":")).encode()


def sign(body, secret=WEBHOOK_SECRET):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(body, secret=WEBHOOK_SECRET, strong=True, weak=True):
    out = {"Content-Type": "application/json"}
    if strong:
        out["x-chapa-signature"] = sign(body, secret)
    if weak:
        out["chapa-signature"] = sign(secret.encode(), secret)
    return out


def parse(gw, account, body, hdrs=None):
    return gw.parse_notification(account, headers(body) if hdrs is None else hdrs, body)


def weak_allowed(account):
    return replace(account, credentials={**account.credentials, "allow_weak_signature": "true"})


# -- signatures --------------------------------------------------------------------------
def test_valid_signature_gives_a_verified_result(gw, account, http_mock):
    n = parse(gw, account, hook())
    assert n.provider_reference == PAY_ID and n.payment_hint == PAY_ID
    r = n.result
    assert (r.status, r.provider_reference, r.amount, r.currency) == \
        ("succeeded", PAY_ID, 40000, "ETB")
    assert n.refund is None and n.dedup_key == f"charge.success:{PAY_ID}:success"
    assert len(http_mock.calls) == 0          # verified locally, no call out


def test_header_names_are_case_insensitive_and_werkzeug_headers_work(gw, account):
    body = hook()
    upper = {"X-Chapa-Signature": sign(body)}
    assert parse(gw, account, body, upper).result.status == "succeeded"
    assert parse(gw, account, body, Headers(upper)).result.status == "succeeded"
    assert parse(gw, account, body, {"x-chapa-signature": sign(body).upper()}).result


def test_tampered_body_is_refused(gw, account):
    body = hook()
    tampered = body.replace(b'"400.00"', b'"4.00"')
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, tampered, headers(body))


def test_reserialised_body_is_refused(gw, account):
    body = hook()
    spaced = json.dumps(json.loads(body)).encode()      # same JSON, other bytes
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, spaced, headers(body))


@pytest.mark.parametrize("secret", ["another-secret", "", WEBHOOK_SECRET + "x"])
def test_wrong_key_is_refused(gw, account, secret):
    body = hook()
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, body, {"x-chapa-signature": sign(body, secret or "k")})


@pytest.mark.parametrize("value", ["", "zz" * 32, "abc", sign(b"x") + "0", "sha256=" + "0" * 64])
def test_malformed_signature_is_refused(gw, account, value):
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, hook(), {"x-chapa-signature": value})


def test_missing_signature_is_refused(gw, account):
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, hook(), {"Content-Type": "application/json"})


def test_weak_signature_alone_is_refused_unless_enabled(gw, account):
    body = hook()
    only_weak = headers(body, strong=False)
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, body, only_weak)
    for off in ("false", "", "yes", "1"):
        creds = {**account.credentials, "allow_weak_signature": off}
        with pytest.raises(WebhookVerificationError):
            parse(gw, replace(account, credentials=creds), body, only_weak)
    assert parse(gw, weak_allowed(account), body, only_weak).result.status == "succeeded"


def test_enabled_weak_signature_must_still_match(gw, account):
    body = hook()
    with pytest.raises(WebhookVerificationError):
        parse(gw, weak_allowed(account), body, headers(body, "other", strong=False))


def test_a_wrong_strong_signature_is_not_rescued_by_the_weak_one(gw, account):
    body = hook()
    forged = {**headers(body), "x-chapa-signature": sign(b"other body")}
    with pytest.raises(WebhookVerificationError):
        parse(gw, weak_allowed(account), body, forged)


@pytest.mark.parametrize("creds", [{"secret_key": "k"}, {"secret_key": "k", "webhook_secret": ""}])
def test_account_without_webhook_secret_verifies_nothing(gw, account, creds):
    with pytest.raises(WebhookVerificationError):
        parse(gw, replace(account, credentials=creds), hook())


# -- events ------------------------------------------------------------------------------
@pytest.mark.parametrize("event, status, code", [
    ("charge.failed", "failed", "declined"), ("charge.cancelled", "cancelled", "canceled"),
    ("charge.failed/cancelled", "cancelled", "canceled"), ("charge.failed", None, "declined"),
])
def test_failure_events_give_a_failed_result(gw, account, event, status, code):
    n = parse(gw, account, hook(event=event, status=status))
    assert (n.result.status, n.result.failure_code) == ("failed", code)
    assert n.dedup_key == f"{event}:{PAY_ID}:{status or 'failed'}"


def test_failure_without_amount_is_still_a_result(gw, account):
    n = parse(gw, account, hook(event="charge.failed", status="failed", amount=None))
    assert (n.result.status, n.result.amount) == ("failed", None)


@pytest.mark.parametrize("event, status", [("charge.refunded", "refunded"),
                                           ("charge.reversed", "reversed")])
def test_refund_events_give_a_refund_update(gw, account, event, status):
    n = parse(gw, account, hook(event=event, status=status, amount="150.50"))
    assert n.result is None and n.provider_reference == PAY_ID
    u = n.refund
    assert (u.status, u.provider_reference, u.payment_reference, u.amount, u.currency) == \
        ("succeeded", None, PAY_ID, 15050, "ETB")


def test_two_partial_refunds_do_not_share_a_dedup_key(gw, account):
    first = parse(gw, account, hook(event="charge.refunded", status="refunded", amount="10.00",
                                    updated_at="2026-01-02T10:00:00Z"))
    second = parse(gw, account, hook(event="charge.refunded", status="refunded", amount="10.00",
                                     updated_at="2026-01-02T11:00:00Z"))
    again = parse(gw, account, hook(event="charge.refunded", status="refunded", amount="10.00",
                                    updated_at="2026-01-02T10:00:00Z"))
    assert first.dedup_key != second.dedup_key and first.dedup_key == again.dedup_key


def test_redeliveries_share_a_dedup_key(gw, account):
    assert parse(gw, account, hook()).dedup_key == parse(gw, account, hook(charge="1")).dedup_key


@pytest.mark.parametrize("event", ["payout.success", "payout.failed/cancelled", "charge.dispute",
                                   "", None])
def test_events_we_do_not_act_on_are_not_supported(gw, account, event):
    with pytest.raises(GatewayNotSupported):
        parse(gw, account, hook(event=event))


def test_ignored_event_still_needs_a_valid_signature(gw, account):
    body = hook(event="payout.success")
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, body, {"x-chapa-signature": sign(b"x")})


@pytest.mark.parametrize("mode", ["live", None, "", "Test1"])
def test_mode_mismatch_is_refused(gw, account, mode):
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, hook(mode=mode))


def test_live_account_takes_live_webhooks_only(gw, account):
    live = replace(account, livemode=True)
    assert parse(gw, live, hook(mode="live")).result.status == "succeeded"
    with pytest.raises(WebhookVerificationError):
        parse(gw, live, hook(mode="test"))


@pytest.mark.parametrize("fields", [
    {"event": "charge.success", "status": "failed"},
    {"event": "charge.failed", "status": "success"},
    {"event": "charge.refunded", "status": "success"},
    {"amount": None}, {"amount": "4.005"}, {"amount": "abc"}, {"currency": "XOF"},
    {"tx_ref": None}, {"tx_ref": "../../x"}, {"tx_ref": "a" * 60},
    {"event": "charge.refunded", "status": "refunded", "amount": None},
])
def test_inconsistent_or_unusable_payloads_are_refused(gw, account, fields):
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, hook(**fields))


@pytest.mark.parametrize("body", [b"", b"not json", b"[1,2]", b"null", b'"x"',
                                  b"[" * 30_000 + b"]" * 30_000, b" " * (70 * 1024)])
def test_bodies_that_are_not_objects_are_refused(gw, account, body):
    with pytest.raises(WebhookVerificationError):
        parse(gw, account, body, {"x-chapa-signature": sign(body)})


def test_str_or_missing_body_is_refused(gw, account):
    for body in (None, hook().decode()):
        with pytest.raises(WebhookVerificationError):
            gw.parse_notification(account, {"x-chapa-signature": sign(hook())}, body)


# -- GET callback ------------------------------------------------------------------------
@pytest.mark.parametrize("query", [
    {"trx_ref": PAY_ID, "ref_id": "APqDvY2v8l3", "status": "success"},
    {"tx_ref": PAY_ID, "status": "success"},
    {"trx_ref": PAY_ID, "amp;ref_id": "APqDvY2v8l3", "amp;status": "success"},
    {"amp;trx_ref": PAY_ID, "amp;amp;status": "success"},
])
def test_callback_names_the_tx_ref_and_believes_nothing(gw, account, http_mock, query):
    n = gw.parse_callback(account, query)
    assert (n.provider_reference, n.result, n.refund) == (PAY_ID, None, None)
    assert n.dedup_key == f"callback:{PAY_ID}:success" and n.payment_hint == PAY_ID
    assert len(http_mock.calls) == 0


def test_callback_status_only_distinguishes_dedup_keys(gw, account):
    ok = gw.parse_callback(account, {"trx_ref": PAY_ID, "status": "success"})
    failed = gw.parse_callback(account, {"trx_ref": PAY_ID, "status": "failed"})
    odd = gw.parse_callback(account, {"trx_ref": PAY_ID, "status": "x:y\n"})
    assert ok.dedup_key != failed.dedup_key and odd.dedup_key == f"callback:{PAY_ID}:"
    assert ok.result is None and failed.result is None


@pytest.mark.parametrize("query", [{}, {"ref_id": "AP1", "status": "success"},
                                   {"trx_ref": ""}, {"trx_ref": "../x"}, {"trx_ref": "a" * 51}])
def test_callback_without_a_usable_tx_ref_is_refused(gw, account, query):
    with pytest.raises(WebhookVerificationError):
        gw.parse_callback(account, query)
