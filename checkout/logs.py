"""JSON logs, one object per line, each carrying the request id of the request
(or job) it belongs to. Phone numbers never reach a log line unmasked."""
import logging
import re
import uuid
from contextvars import ContextVar

from flask import g, request
from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_PHONE = re.compile(r"\+?\d{3}(\d{2})\d{4,8}(\d{2})\b")


class _ContextFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        if isinstance(record.msg, str):
            record.msg = _PHONE.sub(lambda m: "***" + m.group(2), record.msg)
        return True


def configure_logging(app):
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"levelname": "level", "asctime": "time"}))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    if not any(getattr(h, "_checkout", False) for h in root.handlers):
        handler._checkout = True
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("alembic").setLevel(logging.WARNING)

    @app.before_request
    def _assign_request_id():
        rid = request.headers.get("X-Request-Id", "")
        if not re.fullmatch(r"[A-Za-z0-9._-]{8,64}", rid):
            rid = "req_" + uuid.uuid4().hex
        g.request_id = rid
        request_id_var.set(rid)

    @app.after_request
    def _echo_request_id(response):
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-Id"] = rid
        return response
