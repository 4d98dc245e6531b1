"""Security headers on every response."""
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
        if not app.config["DEVELOPMENT"]:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
