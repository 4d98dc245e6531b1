"""Database set-up: SQLite pragmas and transactions, after-commit job hand-off."""
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .extensions import db
from .queue import discard_after_commit_jobs, flush_after_commit_jobs


def init_database(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://"):]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        opts = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        opts.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    from . import models  # noqa: F401  (every table known to the metadata)
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


@event.listens_for(Session, "after_commit")
def _after_commit(_session):
    flush_after_commit_jobs()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(_session, _previous_transaction):
    discard_after_commit_jobs()
