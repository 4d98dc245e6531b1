"""Fixtures of the hosted-page tests: checkouts and attempts written straight to the
database (``tests.factories``), so these tests depend on nothing but the models and the
payment services."""
import re

import pytest

from tests import factories

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def make_checkout(merchant):
    """``make_checkout(m=None, **fields)`` -> checkout id: ``factories.make_checkout`` for
    ``merchant`` (or ``m``)."""

    def factory(m=None, **fields):
        return factories.make_checkout(m or merchant, **fields)

    return factory


@pytest.fixture
def make_attempt(app):
    """``make_attempt(checkout_id, "mtn_bj", phone=..., next_action=None)`` -> payment id:
    a pending attempt as the shopper's choice leaves it before the provider answers (no
    provider reference yet)."""

    def factory(checkout_id, method="mtn_bj", phone=factories.PHONE, next_action=None):
        return factories.add_payment(checkout_id, method, phone=phone, next_action=next_action,
                                     provider_reference=None, source="shopper")

    return factory


def csrf_token(html):
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)
