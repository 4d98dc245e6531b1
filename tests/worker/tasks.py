"""Jobs used by the worker tests (importable by the worker, as jobs must be)."""
import time

from flask import current_app

from checkout.extensions import db
from checkout.jobs.queue import redis_connection


def record(value):
    """Append ``value`` to a Redis list, with the app's name: proves the job ran inside
    an app context."""
    redis_connection().rpush("test:ran", f"{current_app.name}:{value}")
    return value


def crash():
    raise RuntimeError("this job always fails")


def sleep(seconds):
    time.sleep(seconds)


def leave_transaction_open(order_id):
    """Insert a row and never commit: the worker must roll it back after the job."""
    from checkout.models import Merchant
    db.session.add(Merchant(public_id=order_id, name="left behind",
                            link_secret_encrypted="x", return_hosts=[]))
    db.session.flush()


def session_is_clean():
    """True when this job's session starts with nothing pending and no transaction."""
    session = db.session()
    redis_connection().rpush("test:clean", str(not session.new and
                                               not session.in_transaction()))
