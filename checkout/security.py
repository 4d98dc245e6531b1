"""Security headers on every response, and which proxy headers to believe."""
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self' {forms}; base-uri 'none'; "
       "object-src 'none'; frame-ancestors 'none'")


def register_security_headers(app):
    # Forms post to us; the shopper may be redirected anywhere after (return URLs).
    csp = CSP.format(forms="https: http:" if app.config["DEVELOPMENT"] else "https:")

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not app.config["DEVELOPMENT"] and request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response


def limit_streamed_bodies(app):
    """A body sent without a Content-Length (chunked) is cut at the request's limit by
    Werkzeug, silently: read it here and answer 413 when more was sent, as a body with a
    Content-Length over the limit is answered."""
    @app.before_request
    def _streamed_body_within_limit():
        if request.content_length is None and request.environ.get("wsgi.input_terminated"):
            request.get_data(cache=True)
            request.stream.read(1)    # past the limit: RequestEntityTooLarge (413)


def trust_proxies(app):
    """Believe ``X-Forwarded-For/Proto/Host/Port`` from ``TRUSTED_PROXY_HOPS`` reverse
    proxies (0, the default: none, so a client cannot forge its address or scheme).
    Behind one TLS-terminating proxy, set 1: the client's address then feeds the per-client
    limits, and ``https`` the secure-cookie and HSTS decisions."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)
