"""Jobs used by the worker and job-queue tests (importable by the worker, as jobs must
be), and ``ran`` to read what ``record`` recorded."""
import time

from flask import current_app

from checkout.extensions import db
from checkout.models import Merchant
from checkout.redis_store import redis_connection


def record(value):
    """Append ``value`` to a Redis list, with the app's name: proves the job ran inside
    an app context."""
    redis_connection().rpush("test:ran", f"{current_app.name}:{value}")
    return value


def ran(redis_conn):
    """What ``record`` jobs recorded so far, in order ("<app name>:<value>")."""
    return [v.decode() for v in redis_conn.lrange("test:ran", 0, -1)]


def crash():
    raise RuntimeError("this job always fails")


def sleep(seconds):
    time.sleep(seconds)


def leave_transaction_open(order_id):
    """Insert a row and never commit: the worker must roll it back after the job."""
    db.session.add(Merchant(public_id=order_id, name="left behind",
                            link_secret_encrypted="x", return_hosts=[]))
    db.session.flush()


def session_is_clean():
    """True when this job's session starts with nothing pending and no transaction."""
    session = db.session()
    redis_connection().rpush("test:clean", str(not session.new and
                                               not session.in_transaction()))
