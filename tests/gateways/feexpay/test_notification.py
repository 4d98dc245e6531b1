"""FeexPay adapter, webhook parsing (providers.md 1.7): nothing in the unsigned body is
believed but the reference to re-query and the payment hint."""
import json

import pytest

from checkout.gateways.errors import WebhookVerificationError

from .conftest import REF


def hook(**fields):
    body = {"reference": REF, "order_id": REF, "status": "SUCCESSFUL", "amount": 5000,
            "callback_info": "pay_abc123", "first_name": "Awa", "last_name": "Diop",
            "email": "awa@example.com", "type": "Paiement", "phoneNumber": "2290190877433",
            "date": "2025-06-01T10:00:00.000Z", "reseau": "MTN", "reason": None}
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_valid_notification_asks_for_confirmation(gw, account, http_mock):
    n = gw.parse_notification(account, {"Content-Type": "application/json"}, hook())
    assert (n.provider_reference, n.dedup_key, n.result, n.payment_hint) == \
        (REF, f"{REF}:SUCCESSFUL", None, "pay_abc123")
    assert gw.notifications_need_confirmation is True
    assert len(http_mock.calls) == 0          # parsing never calls out


@pytest.mark.parametrize("forged", [
    {"status": "SUCCESSFUL", "amount": 1}, {"status": "SUCCESSFUL", "amount": "999999999"},
    {"status": "FAILED", "reason": "PAYER_NOT_FOUND"},
])
def test_forged_status_or_amount_is_not_a_result(gw, account, forged):
    n = gw.parse_notification(account, {}, hook(**forged))
    assert n.result is None and n.provider_reference == REF


def test_redeliveries_share_a_dedup_key_and_status_changes_do_not(gw, account):
    first = gw.parse_notification(account, {}, hook())
    again = gw.parse_notification(account, {}, hook(date="2025-06-01T10:05:00.000Z"))
    failed = gw.parse_notification(account, {}, hook(status="FAILED"))
    no_status = gw.parse_notification(account, {}, hook(status=None))
    assert first.dedup_key == again.dedup_key != failed.dedup_key
    assert no_status.dedup_key == f"{REF}:"


def test_wrapped_body_and_str_body(gw, account):
    body = json.dumps({"data": json.loads(hook())})
    assert gw.parse_notification(account, {}, body).provider_reference == REF


@pytest.mark.parametrize("hint, expected", [
    (None, None), ({"order": 1}, None), ("pay_x/../y", None), ("  pay_ok_1  ", "pay_ok_1"),
    ("p" * 65, None),
])
def test_payment_hint_only_when_it_looks_like_our_id(gw, account, hint, expected):
    assert gw.parse_notification(account, {}, hook(callback_info=hint)).payment_hint == expected


@pytest.mark.parametrize("body", [
    b"", b"not json", b"\xff\xfe\x00garbage", b"[1, 2]", b'"SUCCESSFUL"', b"null",
    b"{}", json.dumps({"status": "SUCCESSFUL", "amount": 5000}).encode(),
    hook(reference=""), hook(reference=12345678), hook(reference="../../status/x"),
    hook(reference="a" * 300), b"[" * 30_000 + b"]" * 30_000, b" " * (70 * 1024) + hook(), None,
])
def test_unusable_bodies_are_refused(gw, account, body):
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, {}, body)
