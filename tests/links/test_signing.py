"""Link signing against an independent implementation of api.md's rule."""
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from checkout.links.signing import SignatureError, sign, signed_return_url, verify

SECRET = "lsec_test"


def reference_sig(params, secret):
    msg = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()) if k != "sig")
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()


PARAMS = {"order_id": "A-1001/é", "amount": "5000", "currency": "XOF",
          "return_url": "https://shop.example/orders/A-1001?x=1&y=2", "expires": "1999999999"}


def test_sign_matches_the_documented_rule():
    assert sign(PARAMS, SECRET) == reference_sig(PARAMS, SECRET)


def test_verify_accepts_a_good_signature_and_ignores_param_order():
    verify(dict(reversed(list(PARAMS.items())), sig=reference_sig(PARAMS, SECRET)), SECRET)


@pytest.mark.parametrize("tamper", [
    {"amount": "50"}, {"order_id": "A-1002"}, {"extra": "1"}, {"sig": "0" * 64}, {"sig": ""},
])
def test_verify_refuses_tampering(tamper):
    params = dict(PARAMS, sig=reference_sig(PARAMS, SECRET))
    params.update(tamper)
    with pytest.raises(SignatureError):
        verify(params, SECRET)


def test_wrong_secret_is_refused():
    with pytest.raises(SignatureError):
        verify(dict(PARAMS, sig=reference_sig(PARAMS, "other")), SECRET)


def test_return_url_keeps_merchant_query_and_signs_result():
    url = signed_return_url("https://shop.example/done?ref=9",
                            {"checkout_id": "cs_1", "order_id": "A 1", "status": "paid"}, SECRET)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["ref"] == "9" and query["status"] == "paid"
    signed = {k: query[k] for k in ("checkout_id", "order_id", "status")}
    assert query["sig"] == reference_sig(signed, SECRET)
