"""`/unsubscribe/<token>`: the link and the RFC 8058 one-click target of every marketing email.

No login and no CSRF token (exempt in web/__init__.py): a mail client's one-click POST carries neither, and the
signed token is what proves the request comes from the email. A GET changes nothing (mail scanners follow links);
a POST unsubscribes, any number of times. A token that does not verify gets 404 and changes nothing."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from checkout.db.database import Database
from checkout.email.unsubscribe import unsubscribe_by_link, unsubscribe_state
from checkout.settings import Settings

bp = Blueprint("unsubscribe", __name__)
MAX_TOKEN = 200  # ours are ~40 characters


@bp.get("/unsubscribe/<token>")
def ask(token: str):
    db, settings = _services()
    state = unsubscribe_state(db, settings, token[:MAX_TOKEN])
    if state is None:
        return _unknown_link()
    return render_template("unsubscribe.html", state=state, outcome="ask" if state.subscribed else "already")


@bp.post("/unsubscribe/<token>")
def confirm(token: str):
    # The body is not read: the page's button and a mail client's "List-Unsubscribe=One-Click" mean the same.
    db, settings = _services()
    state = unsubscribe_by_link(db, settings, token[:MAX_TOKEN])
    if state is None:
        return _unknown_link()
    return render_template("unsubscribe.html", state=state, outcome="done")


def _services() -> tuple[Database, Settings]:
    return current_app.extensions["database"], current_app.config["SETTINGS"]


def _unknown_link():
    return render_template("unsubscribe.html", state=None, outcome="unknown"), 404
