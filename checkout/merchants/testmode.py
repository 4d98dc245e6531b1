"""Test mode plumbing: telling the provider simulators about our test-mode accounts.

The simulators keep their state in memory, so this runs when the simulators start
(``flask simulators``), after a merchant is created, and from the test fixtures. What
registering means is each gateway's own business (``Gateway.register_test_account``).
"""
import logging

from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.errors import GatewayError, GatewayUnavailable
from checkout.models import GatewayAccount

from .accounts import account_context

log = logging.getLogger(__name__)

TIMEOUT = (2, 3)  # connect, read: best effort, never blocks a command for long


def register_test_accounts(merchant_id=None, timeout=TIMEOUT):
    """Register every test-mode gateway account (of ``merchant_id``, or all) with its
    gateway's simulator. Best effort: returns the simulators' ids of the accounts
    registered; failures are logged, never raised."""
    stmt = db.select(GatewayAccount).where(GatewayAccount.livemode.is_(False))
    if merchant_id is not None:
        stmt = stmt.where(GatewayAccount.merchant_id == merchant_id)
    accounts = db.session.execute(stmt.order_by(GatewayAccount.id)).scalars().all()
    db.session.commit()  # no transaction held across the HTTP calls
    return register_accounts(accounts, timeout)


def register_accounts(accounts, timeout=TIMEOUT):
    """Register these account rows (test mode only) with their simulators; stops at the
    first unreachable simulator. Returns the simulators' ids of those registered."""
    registered = []
    for account in accounts:
        if account.livemode:
            continue
        try:
            ref = get_gateway(account.gateway).register_test_account(account_context(account),
                                                                      timeout)
        except GatewayUnavailable as exc:
            log.warning("simulator unreachable; test accounts not registered",
                        extra={"gateway": account.gateway, "error": str(exc)})
            break
        except GatewayError as exc:
            log.warning("simulator refused a test account",
                        extra={"gateway": account.gateway, "error": str(exc)})
            continue
        if ref:
            registered.append(ref)
    return registered
