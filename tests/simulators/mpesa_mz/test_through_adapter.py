"""The product's M-Pesa Mozambique adapter against the simulator over real HTTP: every
magic ending, a cut-off call settled by the status query with no second debit, reversals
(partial and full) and payouts."""
import pytest

from checkout.core.ids import new_id
from checkout.gateways import get_gateway
from checkout.gateways.base import Account, PaymentRequest, PayoutRequest
from checkout.gateways.errors import GatewayAuthError, GatewayDeclined, GatewayUnavailable
from checkout.gateways.mpesa_mz import MpesaMz
from tests.waiting import wait_until

from .support import HOLD, LATE, MzClient


@pytest.fixture
def gw():
    return get_gateway("mpesa_mz")


@pytest.fixture
def account(gw, server):
    acct = Account(credentials=gw.test_credentials(), livemode=False,
                   base_url=server.url + gw.test_base_path, notify_url="http://unused.test/")
    assert gw.register_test_account(acct, (2, 3)).startswith("mz_")
    return acct


@pytest.fixture
def impatient():
    """The adapter with a client read timeout shorter than the simulator's holds."""
    adapter = MpesaMz()
    adapter.c2b_timeout = (2, 0.3)
    return adapter


def pay(magic="01", amount=2500):
    return PaymentRequest(payment_id=new_id("pay"), method="mpesa_mz", amount=amount,
                          currency="MZN", phone="+2588411001" + magic, description="Order 7",
                          return_url="https://shop.test/r", cancel_url="https://shop.test/c")


@pytest.mark.parametrize("magic", ["01", "05", "08", "09", "42"])
def test_success_endings(gw, account, magic):
    request = pay(magic)
    result = gw.initiate(account, request)
    assert (result.status, result.amount, result.currency) == ("succeeded", 2500, "MZN")
    assert result.provider_reference == gw.reference_before_call(request.payment_id)
    assert result.receipt
    status = gw.fetch_status(account, result.provider_reference, request.payment_id)
    assert (status.status, status.receipt) == ("succeeded", result.receipt)


@pytest.mark.parametrize("magic,code,status_code", [
    ("02", "insufficient_funds", "declined"), ("03", "canceled", "canceled"),
    ("04", "timeout", "timeout"), ("10", "invalid_phone", "declined"),
    ("11", "wrong_pin", "declined"), ("12", "declined", "declined"),
])
def test_refusal_endings(gw, account, magic, code, status_code):
    request = pay(magic)
    with pytest.raises(GatewayDeclined) as exc:
        gw.initiate(account, request)
    assert exc.value.code == code
    status = gw.fetch_status(account, gw.reference_before_call(request.payment_id),
                             request.payment_id)
    assert (status.status, status.failure_code) == ("failed", status_code)


def test_06_is_retryable_and_nothing_is_recorded(gw, account):
    request = pay("06")
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, request)
    assert exc.value.retryable and not exc.value.outcome_unknown
    reference = gw.reference_before_call(request.payment_id)
    assert gw.fetch_status(account, reference, request.payment_id).status == "pending"


def test_13_internal_error_is_settled_by_the_query(gw, account):
    request = pay("13")
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, request)
    assert exc.value.outcome_unknown
    reference = gw.reference_before_call(request.payment_id)
    assert gw.fetch_status(account, reference, request.payment_id).status == "failed"


def settle(gw, account, request, timeout):
    reference = gw.reference_before_call(request.payment_id)
    return wait_until(lambda: (r := gw.fetch_status(account, reference, request.payment_id))
                      .status != "pending" and r, timeout, interval=0.1)


def test_07_cut_off_call_is_settled_by_the_query_and_debited_once(impatient, account,
                                                                   server):
    request = pay("07")
    with pytest.raises(GatewayUnavailable) as exc:
        impatient.initiate(account, request)
    assert exc.value.outcome_unknown
    reference = impatient.reference_before_call(request.payment_id)
    assert impatient.fetch_status(account, reference, request.payment_id).status == "pending"
    result = settle(impatient, account, request, LATE + 3)
    assert (result.status, result.amount) == ("succeeded", None)
    assert result.receipt
    seen = MzClient(server.url).inspect(reference)
    assert (seen["debited"], seen["requests"],
            seen["debits_with_same_transaction_reference"]) == (True, 1, 1)


def test_04_cut_off_call_ends_expired(impatient, account):
    request = pay("04")
    with pytest.raises(GatewayUnavailable) as exc:
        impatient.initiate(account, request)
    assert exc.value.outcome_unknown
    result = settle(impatient, account, request, HOLD + 3)
    assert (result.status, result.failure_code) == ("failed", "timeout")


def test_a_resent_attempt_is_a_duplicate_not_a_second_debit(gw, account, server):
    request = pay("09")
    assert gw.initiate(account, request).status == "succeeded"
    again = gw.initiate(account, request)
    assert again.status == "pending"
    reference = gw.reference_before_call(request.payment_id)
    assert MzClient(server.url).inspect(reference)["debits_with_same_transaction_reference"] \
        == 1


def test_partial_then_full_reversal(gw, account):
    paid = gw.initiate(account, pay("09", amount=10000))
    first = gw.refund(account, paid.provider_reference, 3000, "MZN", None, "re_a",
                      receipt=paid.receipt)
    assert first.status == "succeeded" and first.provider_reference
    assert gw.fetch_refund(account, first.provider_reference, paid.provider_reference,
                           "re_a").status == "succeeded"
    too_much = gw.refund(account, paid.provider_reference, 8000, "MZN", None, "re_b",
                         receipt=paid.receipt)
    assert too_much.status == "failed" and "INS-15" in too_much.failure_message
    rest = gw.refund(account, paid.provider_reference, 7000, "MZN", None, "re_c",
                     receipt=paid.receipt)
    assert rest.status == "succeeded"
    repeat = gw.refund(account, paid.provider_reference, 7000, "MZN", None, "re_c",
                       receipt=paid.receipt)
    assert repeat.status == "pending"       # INS-10: that reversal exists; never twice
    assert gw.fetch_refund(account, None, paid.provider_reference, "re_c").status == \
        "succeeded"
    assert gw.fetch_refund(account, None, paid.provider_reference, "re_never").status == \
        "pending"


def test_payout(gw, account):
    ok = gw.payout(account, PayoutRequest("po_" + new_id("x"), 5000, "MZN",
                                          "+258841100101", "refund"))
    assert ok.status == "succeeded" and ok.provider_reference
    refused = gw.payout(account, PayoutRequest("po_" + new_id("x"), 5000, "MZN",
                                               "+258841100102", "refund"))
    assert (refused.status, refused.failure_code) == ("failed", "insufficient_funds")


def test_a_wrong_api_key_is_refused(gw, account):
    wrong = Account(credentials={**account.credentials, "api_key": "not-registered"},
                    livemode=False, base_url=account.base_url, notify_url="")
    with pytest.raises(GatewayAuthError) as exc:
        gw.initiate(wrong, pay("09"))
    assert exc.value.code == "gateway_auth_failed"
