"""Error handling: JSON for the API and gateway callbacks, a readable page for shoppers.
Never a stack trace to a user."""
import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An API error with the api.md shape."""

    def __init__(self, status, type_, code, message, param=None, headers=None):
        super().__init__(message)
        self.status, self.type, self.code, self.message = status, type_, code, message
        self.param, self.headers = param, headers or {}

    def response(self):
        body = {"error": {"type": self.type, "code": self.code, "message": self.message,
                          "param": self.param}}
        resp = jsonify(body)
        resp.status_code = self.status
        resp.headers.update(self.headers)
        return resp


def wants_json():
    return request.path.startswith(("/api/", "/webhooks/")) or \
        request.path.endswith(("/status.json",))


def register_error_handlers(app):
    @app.errorhandler(ApiError)
    def _api_error(exc):
        return exc.response()

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        if wants_json():
            type_ = "invalid_request_error" if exc.code < 500 else "api_error"
            return ApiError(exc.code, type_, exc.name.lower().replace(" ", "_"),
                            exc.description).response()
        return render_template("errors/error.html", code=exc.code), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc):
        db.session.rollback()
        log.exception("unhandled error")
        if wants_json():
            return ApiError(500, "api_error", "internal_error",
                            "Something went wrong on our side. Nothing was changed; "
                            "retry with the same Idempotency-Key.").response()
        return render_template("errors/error.html", code=500), 500
