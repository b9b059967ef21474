"""What several Rasa servers need before they start, said at once rather than found out by a shopper.

`python -m cli.layout` exits 0 when the settings (environment and .env) ask for the balancer, so that `make run`
installs HAProxy only then.
"""

from __future__ import annotations

import sys

from sqlalchemy.engine import make_url

from checkout.db.database import sqlalchemy_url
from checkout.settings import Settings, load_settings
from cli.balancer import haproxy_binary


def scale_out_problem(settings: Settings) -> str | None:
    """Why these settings cannot run several servers, or None. One Rasa and one action server need nothing."""
    if not settings.balanced:
        return None
    if haproxy_binary() is None:
        return "several servers run behind HAProxy, which is not installed: `make haproxy` (Debian's package)"
    if settings.rasa_instances == 1:
        return None  # several action servers share nothing but the database
    if not settings.redis_url:
        return (
            "several Rasa servers need REDIS_URL (redis://host:6379/0): their lock store keeps two servers from "
            "answering one conversation at once"
        )
    if make_url(sqlalchemy_url(settings.rasa_tracker_url)).get_backend_name() != "postgresql":
        return (
            "several Rasa servers share conversations through the tracker store: set RASA_TRACKER_URL (or "
            "DATABASE_URL) to a PostgreSQL database"
        )
    if not settings.rasa_event_broker_url:
        return (
            "several Rasa servers publish conversation events to one queue: set RASA_EVENT_BROKER_URL to "
            "RabbitMQ (amqp://user:password@host:5672/%2F)"
        )
    return None


if __name__ == "__main__":
    sys.exit(0 if load_settings().balanced else 1)
