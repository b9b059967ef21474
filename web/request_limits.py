"""How much of a request body the web app reads: 64 KB, more only where a route needs it.

Without a limit a 100 MB POST to /chat/messages was read and parsed whole. The limit is set on each request before
anything reads the body (Flask-WTF's CSRF check reads the form), so the few larger routes are raised here, by
endpoint, ahead of it. waitress refuses anything above the largest of them before the app sees it
(`--max-request-body-size` in cli/run_command.py; a test keeps the two in step).
"""

from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

MAX_REQUEST_BYTES = 64 * 1024


def larger_bodies() -> dict[str, int]:
    """The routes that take more than MAX_REQUEST_BYTES, by endpoint: the catalog import's file (plus the form
    around it), and the providers' signed webhook deliveries, which keep the limits they always had (a delivery
    refused for its size is retried by the provider, and refused again, for ever)."""
    from web import stripe_webhook, whatsapp_webhook
    from web.seller.catalog import MAX_UPLOAD

    return {
        "seller.catalog_import": MAX_UPLOAD + MAX_REQUEST_BYTES,
        "stripe_webhook.receive_event": stripe_webhook.MAX_BODY,
        "whatsapp_webhook.receive_delivery": whatsapp_webhook.MAX_BODY,
    }


def largest_body() -> int:
    """What the server (waitress) accepts at most: the largest body any route takes."""
    return max(MAX_REQUEST_BYTES, *larger_bodies().values())


def init_app(app: Flask) -> None:
    """Called before CSRFProtect(app), so this runs before the CSRF check reads the body."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    larger = larger_bodies()

    @app.before_request
    def raise_the_limit_for_larger_routes() -> None:
        limit = larger.get(request.endpoint or "")
        if limit:
            request.max_content_length = limit

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        if request.endpoint == "seller.catalog_import":
            flash("That file is larger than 5 MB; nothing was imported.", "error")
            return redirect(url_for("seller.catalog"))
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return {"error": "That is more than this page accepts."}, 413
        return error
