"""The one place that reads the environment (and an optional `.env` file at the project root).

Every other module receives a `Settings` object; nothing else calls os.environ, so tests can
build settings explicitly and processes started by `shop run` inherit one consistent view.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path

from dotenv import dotenv_values

from checkout.flood_limits import parse_rate
from checkout.money import Money, MoneyError
from checkout.promotions.pricing import DeliveryFees

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The longest payment deadline SHOP_PAYMENT_DEADLINE_HOURS takes (a year; a seller extends single orders further).
MAX_PAYMENT_DEADLINE_HOURS = 24 * 365

DEFAULT_PAYMENT_INSTRUCTIONS = (
    "Pay by bank transfer to IBAN FR76 3000 6000 0112 3456 7890 189 (BIC AGRIFRPP), "
    "with your order number as the reference, or choose cash on delivery."
)


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'shop.db'}"
    shop_name: str = "Loop Streetwear"
    shop_currency: str = "EUR"
    shop_payment_instructions: str = DEFAULT_PAYMENT_INSTRUCTIONS
    shop_shipping_info: str = (
        "We ship within the EU in 2-4 working days for 4.90 EUR, free from 80 EUR. "
        "Outside the EU: 5-10 working days, 14.90 EUR."
    )
    shop_returns_info: str = (
        "You can return unworn items within 30 days of delivery for a full refund; "
        "write to us here with your order number and we send a return label."
    )
    shop_payment_methods: str = "manual"
    # Hours a shopper has to pay an order (decimals allowed): at half-time they are reminded, at the deadline the
    # order expires and its stock goes back. Stored on each order when it is placed, so a change applies to new
    # orders only; a payment link with its own deadline (Stripe's) keeps it. 0 < hours <= MAX_PAYMENT_DEADLINE_HOURS.
    shop_payment_deadline_hours: float = 72.0
    # Orders awaiting payment a shopper may have at once: the next checkout is refused with the open ones, so one
    # shopper (or a script) cannot hold the catalog's stock for free.
    shop_max_open_orders: int = 3
    # Delivery fee per order in the shop currency ("4.90"); 0: no fee. Free when the items subtotal after a
    # discount reaches SHOP_FREE_DELIVERY_FROM (unset: never).
    shop_delivery_fee: str = "0"
    shop_free_delivery_from: str = ""
    shop_secret_key: str = ""
    # Rasa engine files: conversations (tracker store) live beside our tables by default.
    rasa_tracker_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'rasa.db'}"
    # Guards Rasa's HTTP API (used to hand conversations back from the seller); `shop run` keeps a
    # generated one in var/ when this is unset.
    rasa_api_token: str = ""
    # How Rasa's conversation events reach the records consumer. Unset (the default): no event broker; the
    # consumer follows the tracker store's own `events` table. RASA_EVENTS_URL: Rasa's SQL event broker on this
    # database (never the tracker store's: both use a table named `events`). RASA_EVENT_BROKER_URL, an amqp://
    # URL: RabbitMQ, for several Rasa servers.
    rasa_events_url: str = ""
    rasa_event_broker_url: str = ""
    rasa_event_queue: str = "rasa_events"
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    # Every Rasa server a model is activated in (`PUT /model`), comma-separated; unset: RASA_HOST:RASA_PORT.
    # Scaled out, several serve the same conversations behind the load balancer.
    rasa_urls: str = ""
    # Scaled out on one machine (`shop run --rasa-instances N --action-instances M`): N Rasa servers on the ports
    # after RASA_PORT and M action servers on the ports after ACTION_SERVER_PORT, with HAProxy on RASA_PORT and
    # ACTION_SERVER_PORT in front of them. 1 and 1: no balancer, as `make run` has always been.
    rasa_instances: int = 1
    action_instances: int = 1
    # How long a Rasa server's hold on a conversation (Redis lock store) outlives the server: a killed server's
    # conversations wait at most this long for another one.
    rasa_lock_lease_seconds: float = 5.0
    action_server_host: str = "127.0.0.1"
    action_server_port: int = 5055
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    model_cache_dir: str = str(Path.home() / ".cache" / "conversational-checkout" / "models")
    # The catalog's words for Rasa's NLU component, rewritten on every catalog change.
    shop_catalog_terms_file: str = str(PROJECT_ROOT / "var" / "catalog_terms.json")
    redis_url: str = ""
    # Flood control (checkout/flood_limits.py): messages one conversation (a web-chat browser, a Telegram chat) may send
    # to the assistant, and all web-chat messages from one client address together (higher: shoppers behind one NAT
    # share an address). One rate, "N/second|minute|hour|day"; past it a message never reaches Rasa and the shopper
    # is asked to slow down. Counted per process, or on Redis when REDIS_URL is set, shared by every process.
    shop_chat_limit_per_conversation: str = "20/minute"
    shop_chat_limit_per_address: str = "60/minute"
    telegram_bot_token: str = ""
    telegram_api_base_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    # Webhook mode listens here (behind the reverse proxy that serves TELEGRAM_WEBHOOK_URL with TLS).
    telegram_webhook_listen_host: str = "127.0.0.1"
    telegram_webhook_listen_port: int = 8443
    # How long a shopper waits for Rasa before the gateway tells them the answer is coming.
    telegram_rasa_timeout_seconds: int = 6
    telegram_payment_provider_token: str = ""
    telegram_seller_chat_id: str = ""
    # WhatsApp Cloud API (bot/whatsapp/): the gateway runs when WHATSAPP_ACCESS_TOKEN is set.
    whatsapp_access_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: str = ""  # signs Meta's webhook POSTs; unset, every POST is refused
    whatsapp_verify_token: str = ""  # what Meta's webhook verification GET must carry
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    # An approved template with one body parameter, for notices outside the 24 hours after the shopper's last
    # message; unset, such notices wait until the shopper writes.
    whatsapp_template_order_update: str = ""
    whatsapp_template_language: str = "en"
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    # Minutes a Stripe Checkout link stays payable; Stripe accepts 30 minutes to 24 hours (clamped to that).
    stripe_checkout_expires_minutes: int = 60
    # Bounds on each Stripe call, so a shopper waits seconds, not minutes, when Stripe is slow.
    stripe_timeout_seconds: int = 8
    stripe_max_retries: int = 2
    # The web app's address as shoppers' browsers reach it (Stripe's return pages); WEB_HOST:WEB_PORT when unset.
    shop_public_url: str = ""
    # Email (`checkout/email/`): smtp://host:port, smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465.
    # Unset: no email at all (the dashboard says so). SHOP_POSTAL_ADDRESS is printed in every marketing email.
    smtp_url: str = ""
    shop_email_from: str = ""
    shop_postal_address: str = ""
    # An order is credited to a campaign whose message the customer received within this many days.
    shop_campaign_attribution_days: int = 7
    # The trainer's inbox: shopper messages the model read with less confidence than this are worth a look.
    shop_review_confidence: float = 0.6
    log_level: str = "INFO"
    # Runtime files: generated secrets and configuration (endpoints.yml, haproxy.cfg), the trainer's state.
    shop_var_dir: str = str(PROJECT_ROOT / "var")

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def balanced(self) -> bool:
        """Several servers of a kind on this machine: HAProxy takes RASA_PORT and ACTION_SERVER_PORT."""
        return self.rasa_instances > 1 or self.action_instances > 1

    @property
    def rasa_instance_ports(self) -> list[int]:
        """The Rasa servers' own ports: RASA_PORT itself, or the ports after it behind the balancer."""
        return _instance_ports(self.rasa_port, self.rasa_instances, self.balanced)

    @property
    def action_instance_ports(self) -> list[int]:
        return _instance_ports(self.action_server_port, self.action_instances, self.balanced)

    @property
    def rasa_server_urls(self) -> list[str]:
        """Every Rasa server (not the balancer): a model is activated in each of them."""
        urls = [url.strip().rstrip("/") for url in self.rasa_urls.split(",") if url.strip()]
        return urls or [f"http://{self.rasa_host}:{port}" for port in self.rasa_instance_ports]

    @property
    def action_server_url(self) -> str:
        return f"http://{self.action_server_host}:{self.action_server_port}/webhook"

    @property
    def web_url(self) -> str:
        return f"http://{self.web_host}:{self.web_port}"

    @property
    def public_url(self) -> str:
        return (self.shop_public_url or self.web_url).rstrip("/")

    @property
    def model_cache_path(self) -> Path:
        return Path(self.model_cache_dir).expanduser()

    @property
    def var_dir(self) -> Path:
        return Path(self.shop_var_dir).expanduser()

    @property
    def delivery_fees(self) -> DeliveryFees:
        """The delivery settings in minor units of the shop currency (checked by load_settings)."""
        fee = Money.parse(self.shop_delivery_fee, self.shop_currency).amount_minor
        free_from = self.shop_free_delivery_from.strip()
        return DeliveryFees(fee, Money.parse(free_from, self.shop_currency).amount_minor if free_from else None)

    @property
    def payment_deadline(self) -> timedelta:
        """How long a new order may wait for its payment (SHOP_PAYMENT_DEADLINE_HOURS)."""
        return timedelta(hours=self.shop_payment_deadline_hours)

    def as_environment(self) -> dict[str, str]:
        """The same settings as environment variables, for the processes `shop run` starts."""
        return {f.name.upper(): str(getattr(self, f.name)) for f in fields(self)}

    def replace(self, **changes: object) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def _instance_ports(port: int, instances: int, balanced: bool) -> list[int]:
    return [port + i for i in range(1, instances + 1)] if balanced else [port]


def whatsapp_configuration_error(settings: Settings) -> str | None:
    """Why the WhatsApp gateway cannot run with these settings; None when it can."""
    missing = [
        name.upper()
        for name in ("whatsapp_access_token", "whatsapp_phone_number_id", "whatsapp_app_secret")
        if not getattr(settings, name)
    ]
    if missing:
        return f"{', '.join(missing)} not set"
    if not settings.whatsapp_api_base_url.startswith(("https://", "http://")):
        return "WHATSAPP_API_BASE_URL must be an http(s) URL"
    return None


# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a webhook secret.
TELEGRAM_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")


def telegram_configuration_error(settings: Settings) -> str | None:
    """Why the Telegram gateway cannot run with these settings, or None. Webhook mode never runs unguarded."""
    if not settings.telegram_bot_token:
        return "TELEGRAM_BOT_TOKEN is not set"
    if settings.telegram_webhook_url:
        if not settings.telegram_webhook_secret:
            return "webhook mode (TELEGRAM_WEBHOOK_URL) needs TELEGRAM_WEBHOOK_SECRET"
        if not TELEGRAM_SECRET_FORMAT.fullmatch(settings.telegram_webhook_secret):
            return "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
    return None


def load_settings(environ: dict[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Settings from `.env` (if present) overlaid by the process environment."""
    source: dict[str, str] = {}
    env_file = env_file if env_file is not None else PROJECT_ROOT / ".env"
    if env_file.exists():
        source.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source.update(os.environ if environ is None else environ)

    values: dict = {}
    for f in fields(Settings):
        raw = source.get(f.name.upper())
        if raw is None or raw == "":
            continue
        values[f.name] = _typed(f.name, f.type, raw)
    if "database_url" in values and "rasa_tracker_url" not in values:
        # One database for everything when the operator points us at a server (PostgreSQL).
        values["rasa_tracker_url"] = values["database_url"]
    settings = Settings(**values)
    # A bad amount fails here, at start-up, not at the first checkout.
    for name in ("shop_delivery_fee", "shop_free_delivery_from"):
        raw = getattr(settings, name).strip()
        try:
            if raw:
                Money.parse(raw, settings.shop_currency)
        except MoneyError as exc:
            raise ValueError(f"{name.upper()}={raw!r}: {exc}") from None
    if not 0 <= settings.shop_review_confidence <= 1:
        raise ValueError(f"SHOP_REVIEW_CONFIDENCE={settings.shop_review_confidence}: a confidence is between 0 and 1")
    for name in ("rasa_instances", "action_instances"):
        if getattr(settings, name) < 1:
            raise ValueError(f"{name.upper()}={getattr(settings, name)}: at least one server of each kind runs")
    if not 0 < settings.shop_payment_deadline_hours <= MAX_PAYMENT_DEADLINE_HOURS:  # also refuses nan and inf
        raise ValueError(
            f"SHOP_PAYMENT_DEADLINE_HOURS={settings.shop_payment_deadline_hours}: a number of hours above 0 and "
            f"at most {MAX_PAYMENT_DEADLINE_HOURS} (a year)"
        )
    if settings.shop_max_open_orders < 1:
        raise ValueError(f"SHOP_MAX_OPEN_ORDERS={settings.shop_max_open_orders}: a shopper may have at least one")
    for name in ("shop_chat_limit_per_conversation", "shop_chat_limit_per_address"):
        try:
            parse_rate(getattr(settings, name))
        except ValueError as exc:
            raise ValueError(f"{name.upper()}={getattr(settings, name)!r}: {exc}") from None
    if settings.rasa_lock_lease_seconds <= 0:
        raise ValueError(f"RASA_LOCK_LEASE_SECONDS={settings.rasa_lock_lease_seconds}: a lease is a positive time")
    return settings


# Field types are strings here (`from __future__ import annotations`): the annotation as written.
_CONVERTERS: dict[str, tuple[Callable[[str], object], str]] = {
    "int": (int, "a whole number"),
    "float": (float, "a number"),
}


def _typed(name: str, annotation: object, raw: str) -> object:
    """A variable's text as its field's type; a bad value names the variable instead of a bare int() error."""
    converter = _CONVERTERS.get(str(annotation))
    if converter is None:
        return raw
    convert, what = converter
    try:
        return convert(raw.strip())
    except ValueError:
        raise ValueError(f"{name.upper()}={raw!r} is not {what}") from None
