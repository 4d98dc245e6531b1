"""Receiving gateway notifications: ``POST /webhooks/<gateway>/<account token>``.

Read the raw bytes (capped), let the adapter parse and verify them, store them raw
before anything acts on them, de-duplicated per account on the adapter's dedup key,
commit, enqueue the processing job, answer 200 JSON at once. The job
(``process.process_notification``) does the slow part: the confirming status call.

FeexPay signs nothing and, per providers.md 1.7, retries only when not acknowledged;
we acknowledge once the notification is stored, before confirming it, because the
outcome no longer depends on FeexPay retrying: the stored row is processed (the
sweeper re-enqueues it if its job is lost) and the attempt is polled until it settles.
"""
import hashlib
import logging

from flask import Blueprint, jsonify, request
from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import Headers

from checkout.core.timeutil import utcnow
from checkout.extensions import csrf, db
from checkout.gateways import get_gateway
from checkout.gateways.errors import GatewayError, GatewayNotSupported, WebhookVerificationError
from checkout.jobs.queue import ensure_job, notification_job_id
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, GatewayNotification

from .process import CALLBACK_HEADER, CLIENT_ADDRESS, parse, process_notification

bp = Blueprint("webhooks_in", __name__)
csrf.exempt(bp)
log = logging.getLogger(__name__)

MAX_BYTES = 64 * 1024
_SECRET_HEADERS = {"cookie", "authorization"}


def _error(status, code, message):
    body = {"error": {"type": "invalid_request_error", "code": code, "message": message,
                      "param": None}}
    return jsonify(body), status


@bp.route("/webhooks/<gateway>/<token>", methods=["POST", "GET"])
def receive(gateway, token):
    try:
        return _receive(gateway, token)
    except SQLAlchemyError:
        # Our database is down: not the provider's fault, and not stored. 503 asks a
        # provider that retries to come back; polling covers one that does not.
        db.session.rollback()
        log.exception("notification not stored: database error")
        return _error(503, "temporarily_unavailable", "Try again later.")


def _receive(gateway, token):
    if len(token) > 64 or not (token + gateway).isprintable():
        # A NUL or other control character is no token of ours (and no query for the
        # database, which refuses NULs).
        return _error(404, "unknown_endpoint", "No such notification endpoint.")
    account = db.session.execute(
        db.select(GatewayAccount).where(GatewayAccount.webhook_token == token,
                                        GatewayAccount.gateway == gateway)
    ).scalar_one_or_none()
    if account is None:
        return _error(404, "unknown_endpoint", "No such notification endpoint.")
    try:
        adapter = get_gateway(gateway)
    except GatewayNotSupported:
        return _error(404, "unknown_endpoint", "No such notification endpoint.")
    callback = request.method == "GET"
    if callback:
        # A provider's GET callback (Chapa's callback_url): its query string is the body.
        body = request.query_string[:MAX_BYTES + 1]
    else:
        if (request.content_length or 0) > MAX_BYTES:
            return _error(413, "payload_too_large", "Notifications are limited to 64 KB.")
        body = request.stream.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        return _error(413, "payload_too_large", "Notifications are limited to 64 KB.")
    headers = {k: v for k, v in request.headers.items()
               if k.lower() not in _SECRET_HEADERS
               and k.lower() not in (CLIENT_ADDRESS.lower(), CALLBACK_HEADER.lower())}
    # Where the notification came from, as this server saw it (behind trusted proxies:
    # TRUSTED_PROXY_HOPS), for adapters with a source-address allow-list. A header of
    # that name sent by the client is dropped above, never believed.
    headers[CLIENT_ADDRESS] = request.remote_addr or ""
    if callback:
        headers[CALLBACK_HEADER] = "GET"
    context = account_context(account)
    account_id = account.id
    db.session.commit()  # the parse may call out; hold no transaction meanwhile
    try:
        parsed = parse(adapter, context, Headers(headers), body)
    except GatewayNotSupported as exc:
        if callback:
            return _error(405, "method_not_allowed", "This endpoint takes POST only.")
        # An event we do not act on (a dispute, a transfer...): kept, acknowledged.
        _store(account_id, gateway, "ignored:" + _digest(body), headers, body,
               outcome="ignored", error=str(exc))
        return jsonify(received=True, ignored=True), 200
    except WebhookVerificationError as exc:
        _store(account_id, gateway, "rejected:" + _digest(body), headers, body,
               outcome="rejected", error=str(exc))
        return _error(400, "verification_failed", "The notification could not be verified.")
    except GatewayError as exc:
        log.warning("notification refused by the adapter", extra={"code": exc.code})
        _store(account_id, gateway, "rejected:" + _digest(body), headers, body,
               outcome="rejected", error=f"{exc.code}: {exc}")
        return _error(400, "unprocessable_notification", "The notification was not understood.")
    except Exception:  # noqa: BLE001 - an adapter bug must not become a 500 to the provider
        log.exception("notification parser failed")
        db.session.rollback()
        _store(account_id, gateway, "error:" + _digest(body), headers, body,
               outcome="parse_error", error="parser raised; see logs")
        return _error(400, "unprocessable_notification", "The notification was not understood.")
    note_id, inserted, pending = _store(account_id, gateway, parsed.dedup_key[:200], headers,
                                        body)
    if pending:
        _enqueue(note_id)
    return jsonify(received=True, duplicate=not inserted), 200


def _digest(body):
    return hashlib.sha256(body).hexdigest()


def _store(account_id, gateway, dedup_key, headers, body, outcome=None, error=None):
    """Insert the notification, or count a duplicate; safe under concurrent identical
    deliveries (INSERT ... ON CONFLICT DO NOTHING, then an atomic increment). Commits.
    Returns (id, inserted, needs_processing)."""
    now = utcnow()
    values = dict(gateway=gateway, gateway_account_id=account_id, dedup_key=dedup_key,
                  headers=headers, body=body, received_at=now, duplicates=0,
                  outcome=outcome, error=error, processed_at=now if outcome else None)
    insert = _dialect_insert()(GatewayNotification).values(**values)
    insert = insert.on_conflict_do_nothing(
        index_elements=["gateway_account_id", "dedup_key"]).returning(GatewayNotification.id)
    note_id = db.session.execute(insert).scalar_one_or_none()
    if note_id is not None:
        db.session.commit()
        return note_id, True, outcome is None
    # A redelivery. If the first delivery was confirmed as still pending, it is looked at
    # again: the provider may have settled since (FeexPay repeats its webhook under the
    # same reference and status).
    row = db.session.execute(
        db.update(GatewayNotification)
        .where(GatewayNotification.gateway_account_id == account_id,
               GatewayNotification.dedup_key == dedup_key)
        .values(duplicates=GatewayNotification.duplicates + 1,
                processed_at=case((GatewayNotification.outcome == "pending", None),
                                  else_=GatewayNotification.processed_at))
        .returning(GatewayNotification.id, GatewayNotification.processed_at)
    ).one()
    db.session.commit()
    return row.id, False, row.processed_at is None


def _dialect_insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _enqueue(note_id):
    try:
        ensure_job(process_notification, note_id, job_id=notification_job_id(note_id))
    except Exception:  # noqa: BLE001 - stored and committed: the sweeper will enqueue it
        log.warning("could not enqueue a notification job", extra={"notification": note_id})
