"""The payment domain: the transition table and the services that apply it."""
