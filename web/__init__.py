"""The web app: shopper chat page, seller dashboard, JSON API and payment webhooks (Flask)."""

from __future__ import annotations

import secrets

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from checkout.db.database import Database
from checkout.settings import Settings, load_settings


def create_app(config: dict | None = None) -> Flask:
    """App factory. `config` may carry a ready `SETTINGS` object (tests) and Flask options."""
    config = dict(config or {})
    settings: Settings = config.pop("SETTINGS", None) or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.shop_secret_key or None,
        SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Served over HTTPS (SHOP_PUBLIC_URL says so): the cookie never travels over plain HTTP. Not on http://
        # (the local default), where a Secure cookie would never come back and no one could log in.
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        # The chat page may stay open for hours; its token then lives as long as the session cookie.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        if not app.testing:
            raise RuntimeError(
                "SHOP_SECRET_KEY is not set: the web app signs its session cookies with it. "
                "Set it in the environment or .env, or start the app with `shop run`, which generates one."
            )
        app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
    app.extensions["database"] = Database(settings.database_url)
    from web import request_limits

    request_limits.init_app(app)  # before the CSRF check, which reads the body
    CSRFProtect(app)

    from web import api, chat, health, payment_pages, security, seller, stripe_webhook, unsubscribe, whatsapp_webhook

    security.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(chat.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(seller.bp)
    app.register_blueprint(payment_pages.bp)
    app.register_blueprint(stripe_webhook.bp)
    app.extensions["csrf"].exempt(stripe_webhook.bp)  # Stripe signs its requests; it cannot send our token
    app.register_blueprint(whatsapp_webhook.bp)
    app.extensions["csrf"].exempt(whatsapp_webhook.bp)  # Meta signs its POSTs (X-Hub-Signature-256)
    app.register_blueprint(unsubscribe.bp)
    # RFC 8058: mail clients POST without cookies or our token; the signed token in the URL is the proof.
    app.extensions["csrf"].exempt(unsubscribe.bp)
    from web import flood_control

    flood_control.init_app(app)  # after the chat blueprint: it wraps the chat's message view in the flood limits
    return app
