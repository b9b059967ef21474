"""The lock store's settings, read from the `lock_store:` mapping of Rasa's endpoints.yml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_KEY_PREFIX = "shop_lock"

# Rasa hands every YAML key except `type` and `url` to the store in `endpoint_config.kwargs`. A key we do not
# know is refused rather than ignored: a misspelt `lease_seconds` would otherwise silently keep the default.
_OPTIONS = ("port", "db", "username", "password", "use_ssl", "key_prefix", "lease_seconds", "poll_seconds")


@dataclass(frozen=True)
class LockSettings:
    """Where Redis is, how keys are named, and how long a ticket lives without its holder refreshing it."""

    host: str = "localhost"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = None
    use_ssl: bool = False
    key_prefix: str = DEFAULT_KEY_PREFIX
    # A killed Rasa server frees its conversations after at most this long (Rasa's own store: 60 s).
    lease_seconds: float = 5.0
    # How often a waiting turn asks whether it is served (Rasa's own store: every second).
    poll_seconds: float = 0.05

    def __post_init__(self) -> None:
        if "://" in self.host:
            raise ValueError(
                f"lock_store url {self.host!r}: give the Redis host name, with port, db and password as their own keys"
            )
        if not self.key_prefix or "*" in self.key_prefix or any(c.isspace() for c in self.key_prefix):
            raise ValueError(f"lock_store key_prefix {self.key_prefix!r}: needs a non-empty word without spaces or '*'")
        if self.lease_seconds <= 0 or self.poll_seconds <= 0:
            raise ValueError("lock_store lease_seconds and poll_seconds must be positive")

    @classmethod
    def from_endpoint_config(cls, endpoint_config: Any) -> LockSettings:
        """Settings from Rasa's `EndpointConfig` (`url` is the host, the other keys are in `kwargs`)."""
        if endpoint_config is None:
            return cls()
        options = dict(getattr(endpoint_config, "kwargs", {}) or {})
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"lock_store: unknown keys {unknown}; known: url, {', '.join(_OPTIONS)}")
        defaults = cls()
        return cls(
            host=str(endpoint_config.url or defaults.host),
            port=int(options.get("port", defaults.port)),
            db=int(options.get("db", defaults.db)),
            username=_optional_text(options.get("username")),
            password=_optional_text(options.get("password")),
            use_ssl=_flag(options.get("use_ssl", defaults.use_ssl)),
            key_prefix=str(options.get("key_prefix", defaults.key_prefix)),
            lease_seconds=float(options.get("lease_seconds", defaults.lease_seconds)),
            poll_seconds=float(options.get("poll_seconds", defaults.poll_seconds)),
        )

    @property
    def lease_ms(self) -> int:
        return max(1, round(self.lease_seconds * 1000))

    @property
    def refresh_seconds(self) -> float:
        # Four refreshes per lease: a ticket survives three missed or late ones before it lapses.
        return self.lease_seconds / 4

    def redis_options(self) -> dict[str, Any]:
        """Keyword arguments for `redis.Redis` and `redis.asyncio.Redis` alike."""
        # A call slower than half a lease could not keep a lease alive anyway; without a timeout a Redis that
        # stops answering would hang every turn instead of failing it with LockError.
        timeout = self.lease_seconds / 2
        return {
            "host": self.host,
            "port": self.port,
            "db": self.db,
            "username": self.username,
            "password": self.password,
            "ssl": self.use_ssl,
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
        }


def _optional_text(value: Any) -> str | None:
    # YAML reads `password: 1234` as a number.
    return None if value is None else str(value)


def _flag(value: Any) -> bool:
    # YAML gives booleans, but a value filled in from an environment variable arrives as text.
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
