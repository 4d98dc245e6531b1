"""FeexPay v2 simulator (docs/providers.md section 1), mounted under ``/feexpay``.

Modules, each importing only the ones listed after it:

* ``api``: the wire API blueprint (what FeexPay itself answers) and :func:`init_app`;
* ``admin``: simulator-only controls under ``/feexpay/_sim`` and the Wave/Orange payment page;
* ``store``: the in-memory state, timed transitions and outgoing webhooks;
* ``shapes``: the JSON bodies sent (status answer, webhook, admin inspection);
* ``models``: the shop and transaction records;
* ``rules``: networks, configuration, magic-number scenarios and request validation.
"""
from .api import bp, init_app
from .models import FINAL, Shop, Transaction
from .rules import ApiError, FeexPayConfig, load_config
from .store import FeexPaySimulator, current_simulator

__all__ = ["FINAL", "ApiError", "FeexPayConfig", "FeexPaySimulator", "Shop", "Transaction",
           "bp", "current_simulator", "init_app", "load_config"]
