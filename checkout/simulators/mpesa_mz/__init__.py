"""Vodacom M-Pesa Mozambique simulator (docs/providers.md section 5), under ``/mpesa-mz``.

Modules, each importing only the ones listed after it:

* ``ports``: the real port layout (18352, 18353, 18354, 18345, 18349) as WSGI apps;
* ``api``: the five operations (C2B single stage, B2C, B2B, query, reversal), init_app;
* ``admin``: simulator-only controls under ``/mpesa-mz/_sim``;
* ``store``: accounts, transactions and used ThirdPartyReferences, in memory;
* ``rules``: INS codes, configuration, magic-number scenarios, field validation;
* ``keys``: the fixed test RSA key pair that checks the Bearer tokens.
"""
from .api import bp, init_app
from .ports import port_apps
from .rules import MpesaMzConfig, load_config
from .store import MpesaMzSimulator, current_simulator

__all__ = ["MpesaMzConfig", "MpesaMzSimulator", "bp", "current_simulator", "init_app",
           "load_config", "port_apps"]
