"""The one way a test waits for something that happens in another thread or process.

Imports nothing of the product, so that the simulator tests (written from the provider
docs alone) may use it too."""
import time

import pytest


def wait_until(predicate, timeout=5.0, *, interval=0.05, before=None, what="condition"):
    """Call ``before()`` (when given) then ``predicate()`` until the predicate returns
    something truthy, and return that. Fails the test after ``timeout`` seconds.

    ``before`` is where a caller refreshes what the predicate reads (a database rollback,
    a burst of queued jobs)."""
    deadline = time.monotonic() + timeout
    while True:
        if before is not None:
            before()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {timeout}s")
        time.sleep(interval)
