"""Paystack simulator (docs/providers.md section 3), mounted under ``/paystack``.

Modules, each importing only the ones listed after it:

* ``api``: the wire API blueprint (what api.paystack.co answers) and :func:`init_app`;
* ``page``: the hosted checkout page that ``authorization_url`` points at;
* ``admin``: simulator-only controls under ``/paystack/_sim``;
* ``store``: the in-memory state, timed outcomes and webhooks (``refunds``: the refunds);
* ``listing``: the query and page of ``GET /transaction`` (List Transactions);
* ``hooks``: signed webhook deliveries and their retry schedule;
* ``shapes``: the JSON bodies sent (verify, charge, refunds, events, inspection);
* ``models``: the account, transaction and refund records;
* ``rules``: providers, test cards, configuration, magic-number scenarios, validation.
"""
from .api import bp, init_app
from .rules import ApiError, PaystackConfig, load_config
from .store import PaystackSimulator, current_simulator

__all__ = ["ApiError", "PaystackConfig", "PaystackSimulator", "bp", "current_simulator",
           "init_app", "load_config"]
