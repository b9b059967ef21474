"""Browser-facing protections every response carries, whatever blueprint produced it.

The policy allows scripts, styles and fetches only from our own origin, so even a bot message
that slipped into the DOM as markup could not load or run anything; product images may come
from any http(s) host or a data: URL because sellers link them from wherever they keep them.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFError

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' http: https: data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


# A year, the usual: a browser that has seen the shop over HTTPS never tries plain HTTP for it again. Without
# includeSubDomains: other sites of the seller's domain may still be served over HTTP.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def add_strict_transport_security(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def csrf_error(error: CSRFError):
    """JSON callers (the chat page) get a JSON error they can show; others get Flask's page."""
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return {"error": "This page has expired, please reload it.", "reason": error.description}, 400
    return error


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    if app.config.get("SESSION_COOKIE_SECURE"):  # SHOP_PUBLIC_URL is https
        app.after_request(add_strict_transport_security)
    app.register_error_handler(CSRFError, csrf_error)
