"""Shared fixtures. The suite runs against the real PostgreSQL and Redis of the machine:
a missing server is an error (never a skip), as CI requires."""
import os
import uuid

import psycopg
import pytest
import redis as redis_lib
from flask_migrate import upgrade
from sqlalchemy import func, text

from checkout.api.auth import forget_cached_keys
from checkout.app import create_app
from checkout.extensions import db
from checkout.models import Checkout, Event, IdempotencyRecord, Payment, PaymentEvent, Refund
from tests import factories

pytest_plugins = ["tests.fixtures_runtime"]

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# TEST_REDIS_URL names one database for the run; without it, the run claims a free
# database number of the local Redis (1..15), so that several runs on one machine never
# flush each other's queues.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
REDIS_SERVER = os.environ.get("TEST_REDIS_SERVER", "redis://127.0.0.1:6379")
_TEST_DB = f"checkout_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _pg_url(dbname):
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


@pytest.fixture(scope="session")
def pg_database(redis_url):
    """A fresh PostgreSQL database for this run, migrated from empty, dropped at the end."""
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{_TEST_DB}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL}: {exc}", pytrace=False)
    url = _pg_url(_TEST_DB)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_TEST_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    if TEST_REDIS_URL:
        try:
            with redis_lib.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2) as probe:
                probe.ping()
        except redis_lib.RedisError as exc:
            pytest.fail(f"Redis is required at {TEST_REDIS_URL}: {exc}", pytrace=False)
        yield TEST_REDIS_URL
        return
    try:
        locks = redis_lib.Redis.from_url(f"{REDIS_SERVER}/0", socket_connect_timeout=2)
        owner = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        number = next((n for n in range(15, 0, -1)
                       if locks.set(f"checkout-tests:db:{n}", owner, nx=True, ex=4 * 3600)),
                      None)
    except redis_lib.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_SERVER}: {exc}", pytrace=False)
    if number is None:
        locks.close()
        pytest.fail("every Redis database 1..15 is claimed by another test run; set "
                    "TEST_REDIS_URL or delete the keys checkout-tests:db:* in db 0",
                    pytrace=False)
    yield f"{REDIS_SERVER}/{number}"
    if locks.get(f"checkout-tests:db:{number}") == owner.encode():
        locks.delete(f"checkout-tests:db:{number}")
    locks.close()


@pytest.fixture
def redis_conn(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


def make_test_app(pg_database, redis_url, **overrides):
    config = {
        "ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": pg_database,
        "REDIS_URL": redis_url, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": True,
        "CHECKOUT_PUBLIC_URL": "http://checkout.test", "RATE_LIMIT_PER_MINUTE": 100000,
    }
    config.update(overrides)
    return create_app(config)


def _truncate_all():
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app(pg_database, redis_conn, redis_url):
    """An app on the test PostgreSQL database, emptied before each test."""
    app = make_test_app(pg_database, redis_url)
    with app.app_context():
        _truncate_all()
        forget_cached_keys()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_merchant(app):
    """``make_merchant(name="Shop", return_hosts=("shop.example",))`` -> a committed
    ``factories.Merchant``."""
    return factories.make_merchant


@pytest.fixture
def merchant(make_merchant):
    return make_merchant()


COUNTED = (Checkout, Payment, Refund, Event, PaymentEvent, IdempotencyRecord)


@pytest.fixture
def counts(app):
    """``counts()`` -> the number of rows of every table a request could write."""
    def count():
        db.session.rollback()
        return {m.__tablename__: db.session.execute(db.select(func.count()).select_from(m))
                .scalar_one() for m in COUNTED}
    return count
