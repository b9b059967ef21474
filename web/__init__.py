"""The web app: shopper chat page, seller dashboard, JSON API and payment webhooks (Flask)."""
from __future__ import annotations

from flask import Flask

from checkout.db.database import Database
from checkout.settings import Settings, load_settings


def create_app(config: dict | None = None) -> Flask:
    """App factory. `config` may carry a ready `SETTINGS` object (tests) and Flask options."""
    config = dict(config or {})
    settings: Settings = config.pop("SETTINGS", None) or load_settings()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.shop_secret_key or None, SETTINGS=settings)
    app.config.update(config)
    app.extensions["database"] = Database(settings.database_url)

    from web import health

    app.register_blueprint(health.bp)
    return app
