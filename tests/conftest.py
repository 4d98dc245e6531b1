"""Shared fixtures. The suite runs against the real PostgreSQL and Redis of the machine:
a missing server is an error (never a skip), as CI requires."""
import os
import threading
import uuid

import psycopg
import pytest
import redis as redis_lib
from sqlalchemy import text
from werkzeug.serving import make_server

from checkout.app import create_app
from checkout.extensions import db

pytest_plugins = ["tests.fixtures_runtime"]

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_TEST_DB = f"checkout_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _pg_url(dbname):
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this run, migrated from empty, dropped at the end."""
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{_TEST_DB}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL}: {exc}", pytrace=False)
    url = _pg_url(_TEST_DB)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": REDIS_URL})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_TEST_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    try:
        redis_lib.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis_lib.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL}: {exc}", pytrace=False)
    return REDIS_URL


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
        from checkout.api.auth import forget_cached_keys
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


class Merchant:
    """What a test needs of a merchant: its row's ids and the secrets shown once."""

    def __init__(self, row, key, link_secret):
        self.id, self.public_id, self.name = row.id, row.public_id, row.name
        self.key, self.link_secret = key, link_secret
        self.auth = {"Authorization": f"Bearer {key}"}


@pytest.fixture
def make_merchant(app):
    """Factory: make_merchant(name="Shop", return_hosts=("shop.example",))."""
    from checkout.merchants.accounts import create_merchant

    def factory(name="Demo Shop", email=None, return_hosts=("shop.example",), country="BJ"):
        row, key, secret = create_merchant(name, email or f"{uuid.uuid4().hex[:8]}@shop.example",
                                           "correct horse battery", return_hosts, country)
        db.session.commit()
        return Merchant(row, key, secret)

    return factory


@pytest.fixture
def merchant(make_merchant):
    return make_merchant()


class ServerThread:
    """A real HTTP server on 127.0.0.1 serving a WSGI app in a thread."""

    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)
