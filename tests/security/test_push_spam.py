"""Attack 3: spamming pushes to a victim's phone from the hosted page. Whatever the
attacker posts, a number gets at most 3 prompts in 10 minutes (across checkouts) and a
checkout at most 5; the shopper is told why, in plain words."""
import re

import pytest

from checkout.gateways import get_gateway
from checkout.gateways.base import GatewayResult, NextAction
from tests.factories import make_checkout
from tests.hosted.conftest import csrf_token

VICTIM = "0190000001"


@pytest.fixture
def pushes(monkeypatch):
    """Every push that would leave for a phone (FeexPay's initiate, replaced)."""
    sent = []

    def initiate(self, account, request):
        sent.append(request.phone)
        return GatewayResult(status="pending", provider_reference=f"ref-{len(sent)}",
                             next_action=NextAction(type="approve_on_phone"))

    monkeypatch.setattr(type(get_gateway("feexpay")), "initiate", initiate)
    return sent


def _push(client, checkout_id, phone):
    """What an attacker does: pay with the number, then 'choose another way' (which
    abandons the pending attempt so that the next post may start another)."""
    token = csrf_token(client.get(f"/c/{checkout_id}").get_data(as_text=True))
    answer = client.post(f"/c/{checkout_id}/pay",
                         data={"csrf_token": token, "method": "mtn_bj", "phone": phone})
    client.post(f"/c/{checkout_id}/switch", data={"csrf_token": token})
    return answer


def test_25_posts_make_3_prompts_on_the_victims_phone(client, merchant, pushes):
    checkouts = [make_checkout(merchant) for _ in range(5)]
    answers = [_push(client, checkouts[i % 5], VICTIM) for i in range(25)]
    assert len(pushes) == 3
    refused = answers[-1]
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "A request was already sent to this number" in text
    assert re.search(r"ask for another in (9|10) min\.", text)


def test_a_checkout_sends_at_most_5_pushes(client, merchant, pushes):
    checkout_id = make_checkout(merchant)
    numbers = [f"01900000{n:02d}" for n in range(10, 20)]
    answers = [_push(client, checkout_id, number) for number in numbers]
    assert len(pushes) == 5
    assert answers[-1].status_code == 429
    assert "Too many payment requests were sent for this order" in \
        answers[-1].get_data(as_text=True)


def test_the_limit_is_said_in_french_too(client, merchant, pushes):
    checkout_id = make_checkout(merchant, locale="fr")
    for _ in range(3):
        _push(client, checkout_id, VICTIM)
    refused = _push(client, checkout_id, VICTIM)
    assert refused.status_code == 429
    assert "Une demande a déjà été envoyée à ce numéro" in refused.get_data(as_text=True)
