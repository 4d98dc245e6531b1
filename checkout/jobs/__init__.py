"""Background work (RQ): the queue helper, the payment jobs and the sweeper.

Jobs are module-level functions taking ids, safe to run twice; each runs in an app
context (the worker gives every job its own) and owns its commits.
"""
