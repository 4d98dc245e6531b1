"""Fixtures that run real processes and servers: the provider simulators, the app on a
real HTTP port, RQ workers. (being written)"""
