"""Static files of the shopper pages: versioned URLs and long cache lifetimes.

Every asset URL carries ``?v=<hash of the file>``, so a file may be cached for a year
and a new release is fetched at once. HTML pages and status answers are never cached
(they hold CSRF tokens and live statuses).
"""
import hashlib
import os

from flask import current_app, request, url_for

from .blueprint import bp

ONE_YEAR = 365 * 24 * 3600
_versions = {}


def _version(filename):
    path = os.path.join(current_app.static_folder, filename)
    cached = _versions.get(path)
    if cached is not None and not current_app.config["DEVELOPMENT"]:
        return cached[1]   # released files do not change under a running process
    stamp = os.stat(path).st_mtime_ns
    if cached is None or cached[0] != stamp:
        with open(path, "rb") as fh:
            cached = _versions[path] = (stamp, hashlib.sha256(fh.read()).hexdigest()[:10])
    return cached[1]


@bp.app_template_global()
def asset_url(filename):
    """The cache-busting URL of a file in checkout/static."""
    return url_for("static", filename=filename, v=_version(filename))


@bp.after_app_request
def _cache_headers(response):
    if request.endpoint == "static":
        if response.status_code in (200, 304) and request.args.get("v"):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        response.vary.add("Accept-Encoding")
    elif request.blueprint == "hosted":
        response.cache_control.no_store = True
        response.cache_control.private = True
    return response
