"""Idempotency-Key on POST requests (api.md "Conventions").

The same key with the same request (method, path and raw body, hashed) returns the first
response again, with ``Idempotent-Replayed: true``; the same key with another request is a
409 ``idempotency_key_reused``. Keys are scoped to the API key, and kept 24 hours
(``jobs.retention``). Only successful (2xx) responses are stored, in the same transaction
as their effect: a 4xx or 5xx stores nothing, so the merchant may fix the request and
retry with the same key.

Two concurrent requests with one key are decided by the unique constraint
``(api_key_id, key)``: the loser's transaction rolls back whole and it gets the replay, or
409 ``idempotency_key_in_use`` while the winner is still working.

A view decorated with :func:`idempotent` finishes with :func:`commit_response`, which adds
the record and commits once. Views whose effect is only rows written in that one commit may
use ``@idempotent(lookup="on_conflict")``: no query up front; a replay is found where the
view calls :func:`answer_if_known`, when the record's insert conflicts, or when the request
fails. Views that call out to a provider mid-way
(refunds) :func:`reserve` the key in their first commit, so no second request can repeat
the call, then :func:`commit_response` completes the record (or :func:`release` drops it).
A reservation whose request died (its process killed mid-call) is released once it is
older than ``STALE_AFTER``, so a retry with the key proceeds instead of a 409 forever.
"""
import contextlib
import functools
import hashlib
import json
from datetime import timedelta

from flask import Response, g, request
from sqlalchemy.exc import IntegrityError

from checkout.checkouts import constraint_violated
from checkout.core import secretbox
from checkout.core.timeutil import utcnow
from checkout.errors import ApiError
from checkout.extensions import db
from checkout.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# A reserved key whose request has not finished after this long is taken to have died
# with its process (longer than any request may run: provider calls time out at 30 s).
STALE_AFTER = timedelta(seconds=120)
IN_PROGRESS = 0                  # status_code of a reserved, unfinished record
_CONSTRAINT = "uq_idempotency_records_api_key_id_key"
_INSERT = IdempotencyRecord.__table__.insert().inline()


class _Pending:
    __slots__ = ("key", "digest", "record")

    def __init__(self, key, digest):
        self.key, self.digest, self.record = key, digest, None


class _KeyTaken(Exception):
    """Another request committed this key first (``found``: its record, if read)."""

    def __init__(self, found=None):
        super().__init__()
        self.found = found


def idempotent(view=None, *, lookup="first"):
    """Decorate a POST view. ``lookup="first"`` reads the record before running the view;
    ``"on_conflict"`` skips that read (see the module docstring for when that is safe)."""
    if view is None:
        return functools.partial(idempotent, lookup=lookup)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        g.idempotency = None
        if key is None:
            return view(*args, **kwargs)
        if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
            raise ApiError(400, "invalid_request_error", "idempotency_key_invalid",
                           f"{HEADER} must be 1 to 255 printable ASCII characters.", HEADER)
        pending = g.idempotency = _Pending(key, _request_digest())
        if lookup == "first":
            found = _find(key)
            if found is not None and not _released_if_stale(found):
                return _answer(found, pending)
        try:
            return view(*args, **kwargs)
        except _KeyTaken as taken:
            return _answer(taken.found or _find(key), pending)
        except ApiError:
            # Nothing of this request is kept. But the error may only be the effect of a
            # request with this key that committed meanwhile (or, without the lookup up
            # front, before): that one's answer wins.
            db.session.rollback()
            found = _find(key)
            if found is None:
                raise
            return _answer(found, pending)

    return wrapper


def commit_response(body, status=200):
    """Commit the view's work with its idempotency record and return the JSON response.
    Raises IntegrityError for any other constraint (the view may retry)."""
    text = json.dumps(body, separators=(",", ":"))
    pending = g.get("idempotency")
    with _key_conflicts(pending):
        if pending is not None and 200 <= status < 300:
            if pending.record is not None:
                pending.record.status_code, pending.record.response_body = status, _seal(text)
            else:  # one plain INSERT: the hot path (checkout creation) counts statements
                db.session.execute(_INSERT, {
                    "api_key_id": g.caller.api_key_id, "key": pending.key,
                    "request_hash": pending.digest, "status_code": status,
                    "response_body": _seal(text), "created_at": utcnow()})
        db.session.commit()
    return Response(text, status, mimetype="application/json")


def answer_if_known():
    """End the request with the stored answer if this request's key was already used (a
    replay, or a reused key): for views that skip the lookup up front but reach a point
    where a replay is likely (checkout creation for an order that has a checkout)."""
    pending = g.get("idempotency")
    if pending is not None:
        found = _find(pending.key)
        if found is not None:
            raise _KeyTaken(found)


def reserve():
    """Claim the key in the current transaction (committed by the caller's next commit),
    before a call that must not run twice. A no-op without a key."""
    pending = g.get("idempotency")
    if pending is not None and pending.record is None:
        pending.record = _add_record(pending, IN_PROGRESS, "")


def commit_reservation():
    """Commit the view's first step with the reserved key; a concurrent holder of the key
    ends the request with its replay or a 409."""
    pending = g.get("idempotency")
    with _key_conflicts(pending):
        db.session.commit()


def release():
    """Drop a reserved key (the request ended in an error): flushed with the caller's
    commit, so a retry with the same key runs again."""
    pending = g.get("idempotency")
    if pending is not None and pending.record is not None:
        db.session.delete(pending.record)
        pending.record = None


def _request_digest():
    h = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    h.update(request.get_data(cache=True))
    return h.hexdigest()


def _add_record(pending, status, text):
    record = IdempotencyRecord(api_key_id=g.caller.api_key_id, key=pending.key,
                               request_hash=pending.digest, status_code=status,
                               response_body=_seal(text), created_at=utcnow())
    db.session.add(record)
    return record


@contextlib.contextmanager
def _key_conflicts(pending):
    """Turn the loss of a race for this request's key into _KeyTaken (after a rollback);
    other IntegrityErrors propagate (after a rollback) for the view to handle."""
    try:
        yield
    except IntegrityError as exc:
        db.session.rollback()
        if pending is not None and constraint_violated(exc, _CONSTRAINT,
                                                       "idempotency_records.key"):
            pending.record = None
            raise _KeyTaken() from None
        raise


def _released_if_stale(found):
    """Delete a reservation whose request died (in progress for longer than any request
    runs) so that a retry proceeds; True if it was deleted. What the dead request left
    (a pending refund) is still there, and the view's own rules account for it."""
    if found.status_code != IN_PROGRESS or found.created_at > utcnow() - STALE_AFTER:
        return False
    deleted = db.session.execute(
        db.delete(IdempotencyRecord).where(IdempotencyRecord.id == found.id,
                                           IdempotencyRecord.status_code == IN_PROGRESS)
    ).rowcount
    db.session.commit()
    return bool(deleted)


def _find(key):
    return db.session.execute(
        db.select(IdempotencyRecord.id, IdempotencyRecord.request_hash,
                  IdempotencyRecord.status_code, IdempotencyRecord.response_body,
                  IdempotencyRecord.created_at)
        .where(IdempotencyRecord.api_key_id == g.caller.api_key_id,
               IdempotencyRecord.key == key)).first()


def _answer(found, pending):
    if found is None:  # the other request's record vanished (released): let the client retry
        raise _in_use()
    if found.request_hash != pending.digest:
        raise ApiError(409, "invalid_request_error", "idempotency_key_reused",
                       f"This {HEADER} was already used with another request; use a new key "
                       "for a new request.", HEADER)
    if found.status_code == IN_PROGRESS:
        raise _in_use()
    g.idempotency = None
    return Response(_unseal(found.response_body), found.status_code, mimetype="application/json",
                    headers={REPLAYED_HEADER: "true"})


def _in_use():
    return ApiError(409, "invalid_request_error", "idempotency_key_in_use",
                    f"A request with this {HEADER} is still in progress; retry shortly.",
                    HEADER, headers={"Retry-After": "1"})


_SEALED = "sealed:"


def _seal(text):
    """A stored response that carries a secret shown once (a webhook endpoint's
    ``whsec_``) is kept encrypted (secretbox), like every other secret at rest."""
    if text and '"whsec_' in text:
        return _SEALED + secretbox.encrypt(text)
    return text


def _unseal(body):
    return secretbox.decrypt(body[len(_SEALED):]) if body.startswith(_SEALED) else body
