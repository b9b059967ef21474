"""Secrets the operator did not set are generated once and kept in var/ (mode 600), so a fresh
install is safe by default and restarts keep sessions and tokens valid."""

from __future__ import annotations

import secrets

from checkout.settings import Settings

GENERATED = {"rasa_api_token": "rasa_api_token", "shop_secret_key": "secret_key"}


def with_generated_secrets(settings: Settings) -> Settings:
    changes = {}
    for field, filename in GENERATED.items():
        if getattr(settings, field):
            continue
        path = settings.var_dir / filename
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        changes[field] = path.read_text().strip()
    return settings.replace(**changes) if changes else settings


def generated_secret(settings: Settings, field: str) -> str:
    """The secret kept in var/ for `field` when the operator set none, read without making one ("" when there is
    none yet): for a client of processes `shop run` started, which made it."""
    if getattr(settings, field):
        return getattr(settings, field)
    path = settings.var_dir / GENERATED[field]
    return path.read_text().strip() if path.exists() else ""
