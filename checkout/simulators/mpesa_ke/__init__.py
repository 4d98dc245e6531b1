"""Safaricom Daraja simulator (M-Pesa Kenya; docs/providers.md section 4), mounted under
``/daraja``.

Modules, each importing only the ones listed after it:

* ``api``: Daraja's own paths (token, STK push, STK query, reversal) and :func:`init_app`;
* ``admin``: simulator-only controls under ``/daraja/_sim``;
* ``store``: the in-memory state, timed outcomes, callbacks and reversal Results;
* ``shapes``: the JSON bodies sent (callback, query answer, Result, inspection);
* ``models``: the app, push and reversal records;
* ``rules``: configuration, magic-number scenarios, messages, field validation;
* ``keys``: the fixed test RSA key pair (SecurityCredential decryption).

Unknown consumer keys get a token of Safaricom's public sandbox app (shortcode 174379
with its published passkey) while ``sandbox_open`` is on, so a sandbox-ready client
works by changing only its base URL; registered apps push with their own shortcode and
passkey and are the only ones that can reverse (their initiator is registered).
"""
from .api import bp, init_app
from .rules import DarajaConfig, DarajaError, load_config
from .store import DarajaSimulator, current_simulator

__all__ = ["DarajaConfig", "DarajaError", "DarajaSimulator", "bp", "current_simulator",
           "init_app", "load_config"]
