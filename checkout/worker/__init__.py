"""The background worker: ``process`` (one RQ worker that builds the app once and runs
every job in process), ``periodic`` (RQ's scheduler and the periodic jobs, in threads)
and ``supervisor`` (``flask worker --processes N``: N processes, restarted when they die).
"""
