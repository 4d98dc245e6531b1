"""Chapa v1 simulator (docs/providers.md section 2), mounted under ``/chapa``.

Modules, each importing only the ones listed after it:

* ``api``: the wire API blueprint (what Chapa itself answers) and :func:`init_app`;
* ``admin``: simulator-only controls under ``/chapa/_sim``;
* ``page``: the hosted payment page that ``checkout_url`` points at;
* ``store``: the in-memory state, outcomes, refunds and what they send;
* ``hooks``: signed webhooks with retries and GET callbacks, from a background thread;
* ``shapes``: the JSON bodies sent (verify answer, webhook, refund, inspection);
* ``models``: the account, transaction and refund records;
* ``rules``: configuration, refusals, request and test-card validation.
"""
from .api import bp, init_app
from .models import Account, Refund, Transaction
from .rules import ApiError, ChapaConfig, load_config
from .store import ChapaSimulator, current_simulator

__all__ = ["Account", "ApiError", "ChapaConfig", "ChapaSimulator", "Refund", "Transaction",
           "bp", "current_simulator", "init_app", "load_config"]
