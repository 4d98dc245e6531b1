"""Database set-up: the URL, SQLite pragmas and transactions, every model registered."""
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import models  # noqa: F401  (every table known to the metadata)
from .extensions import db


def init_database(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://"):]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    opts = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if uri.startswith("sqlite"):
        opts.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    else:
        # Kept-open connections per process: a worker's poller and runners share them,
        # each holding one only around its reads and writes. Beyond the pool, overflow
        # connections are opened and closed per use (slow): the sum is this process's
        # ceiling on PostgreSQL connections.
        opts.setdefault("pool_size", app.config.get("DATABASE_POOL_SIZE", 10))
        opts.setdefault("max_overflow", app.config.get("DATABASE_MAX_OVERFLOW", 10))
    db.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):
    if type(dbapi_conn).__module__ != "sqlite3":
        return
    # Let SQLAlchemy's "begin" event below issue BEGIN IMMEDIATE: SQLite has no row
    # locks, so every transaction takes the write lock up front and writers queue.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
