"""Request parsing and list paging shared by every API resource."""
from flask import g, request

from checkout.errors import ApiError
from checkout.extensions import db


def invalid(message, param=None, code="parameter_invalid", status=400):
    return ApiError(status, "invalid_request_error", code, message, param)


def storable(value):
    """False for text the database cannot hold (a NUL character, an unpaired surrogate),
    in a string or anywhere in a JSON value: refused up front, not a 500 in the query."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            return value.isascii() or bool(value.encode("utf-8"))
        except UnicodeEncodeError:
            return False
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v) for v in value)
    return True


def json_body():
    """The request's JSON object, or a clear 400."""
    if not request.is_json:
        raise invalid("Send a JSON body with 'Content-Type: application/json'.",
                      code="content_type_invalid", status=415)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise invalid("The body is not a JSON object.", code="body_invalid")
    for name, value in data.items():
        if not (storable(name) and storable(value)):
            raise invalid("Text may not contain NUL characters (\\u0000) or unpaired "
                          "surrogates.", name[:64] if storable(name) else None)
    return data


def not_found(kind, object_id, param="id"):
    """404 for an id that is not the caller's (another merchant's or mode's looks the same)."""
    return ApiError(404, "invalid_request_error", "resource_missing",
                    f"No such {kind}: '{str(object_id)[:64]}'.", param)


def get_owned(model, object_id, kind, param="id", lock=False):
    """The caller's ``model`` row ``object_id`` (its merchant and mode only; optionally
    under a row lock), or a 404 that says nothing of anyone else's rows."""
    caller = g.caller
    if not storable(object_id):
        raise not_found(kind, "", param)
    q = db.select(model).where(model.id == object_id, model.merchant_id == caller.merchant_id,
                               model.livemode == caller.livemode)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    row = db.session.execute(q).scalar_one_or_none()
    if row is None:
        raise not_found(kind, object_id, param)
    return row


def paginate(model, merchant_id, livemode, filters=()):
    """Apply api.md paging to ``model``: newest first, ``limit`` (1..100, default 20),
    ``starting_after=<id>``. Returns (rows, has_more)."""
    raw_limit = request.args.get("limit", "20")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise invalid("limit must be an integer from 1 to 100.", "limit")
    limit = int(raw_limit)
    q = db.select(model).where(model.merchant_id == merchant_id, model.livemode == livemode,
                               *filters)
    after = request.args.get("starting_after")
    if after:
        anchor = db.session.execute(
            db.select(model.created_at, model.id).where(
                model.id == after, model.merchant_id == merchant_id,
                model.livemode == livemode)).first()
        if anchor is None:
            raise invalid("starting_after is not an object of this list.", "starting_after")
        q = q.where(db.tuple_(model.created_at, model.id) < db.tuple_(anchor.created_at,
                                                                      anchor.id))
    rows = db.session.execute(
        q.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], len(rows) > limit


def list_response(items, has_more):
    return {"object": "list", "data": items, "has_more": has_more}


def query_filters(spec):
    """Filters from query parameters: ``spec`` maps a parameter name to ``(column,
    allowed values or None)``; a value outside ``allowed`` is a clear 400."""
    filters = []
    for name, (column, allowed) in spec.items():
        value = request.args.get(name)
        if value is None:
            continue
        if allowed is not None and value not in allowed:
            raise invalid(f"{name} must be one of {', '.join(allowed)}.", name)
        filters.append(column == value)
    return filters
