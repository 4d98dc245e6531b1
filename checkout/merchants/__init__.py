"""Merchants: accounts with their users and gateway accounts, API keys, and test mode
(telling the provider simulators about test-mode accounts)."""
