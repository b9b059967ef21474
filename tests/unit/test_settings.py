"""Settings: one place reads the environment and the .env file; the environment wins."""

import pytest

from checkout.settings import Settings, load_settings


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# a comment\nSHOP_NAME='Dot Env Shop'\nSHOP_CURRENCY=USD\nWEB_PORT=9000\nTELEGRAM_BOT_TOKEN=\n")
    return path


def test_defaults_without_env_file_or_environment(tmp_path):
    settings = load_settings(environ={}, env_file=tmp_path / "missing.env")
    assert settings == Settings()
    assert (settings.rasa_port, settings.action_server_port, settings.web_port) == (5005, 5055, 8000)
    assert settings.shop_currency == "EUR"


def test_env_file_is_read(env_file):
    settings = load_settings(environ={}, env_file=env_file)
    assert settings.shop_name == "Dot Env Shop"
    assert settings.shop_currency == "USD"
    assert settings.web_port == 9000
    assert settings.telegram_bot_token == ""


def test_environment_overrides_env_file(env_file):
    settings = load_settings(environ={"SHOP_NAME": "From Env", "WEB_PORT": "8100"}, env_file=env_file)
    assert settings.shop_name == "From Env"
    assert settings.web_port == 8100
    assert settings.shop_currency == "USD"  # not overridden: still the file's


def test_empty_environment_value_means_unset(tmp_path):
    settings = load_settings(environ={"SHOP_NAME": "", "RASA_PORT": ""}, env_file=tmp_path / "missing.env")
    assert settings.shop_name == Settings().shop_name
    assert settings.rasa_port == 5005


def test_ports_are_ints(tmp_path):
    settings = load_settings(
        environ={"RASA_PORT": "6005", "ACTION_SERVER_PORT": "6055", "WEB_PORT": "6000"},
        env_file=tmp_path / "missing.env",
    )
    assert (settings.rasa_port, settings.action_server_port, settings.web_port) == (6005, 6055, 6000)
    assert all(isinstance(p, int) for p in (settings.rasa_port, settings.action_server_port, settings.web_port))
    assert settings.rasa_url == "http://127.0.0.1:6005"
    assert settings.action_server_url == "http://127.0.0.1:6055/webhook"
    assert settings.web_url == "http://127.0.0.1:6000"


def test_a_port_that_is_not_a_number_is_refused(tmp_path):
    with pytest.raises(ValueError):
        load_settings(environ={"WEB_PORT": "eighty"}, env_file=tmp_path / "missing.env")


def test_unknown_variables_are_ignored(tmp_path):
    assert load_settings(environ={"PATH": "/bin", "HOME": "/x"}, env_file=tmp_path / "missing.env") == Settings()


def test_database_url_also_moves_the_rasa_tracker(tmp_path):
    url = "postgresql://shop:secret@db.internal:5433/shop"
    settings = load_settings(environ={"DATABASE_URL": url}, env_file=tmp_path / "missing.env")
    assert settings.database_url == url
    assert settings.rasa_tracker_url == url


def test_database_url_from_env_file_also_moves_the_rasa_tracker(tmp_path):
    path = tmp_path / ".env"
    path.write_text("DATABASE_URL=postgresql://u@h/db\n")
    assert load_settings(environ={}, env_file=path).rasa_tracker_url == "postgresql://u@h/db"


def test_explicit_rasa_tracker_url_wins(tmp_path):
    settings = load_settings(
        environ={"DATABASE_URL": "postgresql://u@h/shop", "RASA_TRACKER_URL": "sqlite:////tmp/rasa.db"},
        env_file=tmp_path / "missing.env",
    )
    assert settings.database_url == "postgresql://u@h/shop"
    assert settings.rasa_tracker_url == "sqlite:////tmp/rasa.db"


def test_rasa_tracker_url_from_env_file_wins_over_environment_database_url(tmp_path):
    path = tmp_path / ".env"
    path.write_text("RASA_TRACKER_URL=sqlite:////tmp/rasa.db\n")
    settings = load_settings(environ={"DATABASE_URL": "postgresql://u@h/shop"}, env_file=path)
    assert settings.rasa_tracker_url == "sqlite:////tmp/rasa.db"


def test_as_environment_round_trips(tmp_path):
    settings = Settings(
        database_url="postgresql://u:p@h:5433/shop",
        rasa_tracker_url="sqlite:////tmp/r.db",
        shop_name="Round Trip",
        web_port=8123,
        redis_url="redis://localhost:6379/1",
        telegram_bot_token="123:abc",
    )
    environment = settings.as_environment()
    assert environment["WEB_PORT"] == "8123"
    assert environment["DATABASE_URL"] == "postgresql://u:p@h:5433/shop"
    assert all(isinstance(v, str) for v in environment.values())
    assert load_settings(environ=environment, env_file=tmp_path / "missing.env") == settings


def test_as_environment_names_the_documented_variables():
    environment = Settings().as_environment()
    for name in (
        "DATABASE_URL",
        "SHOP_NAME",
        "SHOP_CURRENCY",
        "SHOP_PAYMENT_INSTRUCTIONS",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_PAYMENT_PROVIDER_TOKEN",
        "TELEGRAM_SELLER_CHAT_ID",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "REDIS_URL",
    ):
        assert name in environment


def test_replace_keeps_the_rest():
    settings = Settings(shop_name="A").replace(web_port=1234)
    assert (settings.shop_name, settings.web_port) == ("A", 1234)


def test_env_example_documents_every_setting():
    from checkout.settings import PROJECT_ROOT

    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    documented = {line.lstrip("# ").split("=", 1)[0] for line in lines if "=" in line}
    missing = set(Settings().as_environment()) - documented
    assert not missing, f".env.example does not document {sorted(missing)}"


def test_delivery_fee_settings(tmp_path):
    from checkout.promotions.pricing import DeliveryFees

    missing = tmp_path / "missing.env"
    assert load_settings(environ={}, env_file=missing).delivery_fees == DeliveryFees(0, None)
    settings = load_settings(environ={"SHOP_DELIVERY_FEE": "4.90", "SHOP_FREE_DELIVERY_FROM": "80"}, env_file=missing)
    assert settings.delivery_fees == DeliveryFees(490, 8000)


@pytest.mark.parametrize("name", ["SHOP_DELIVERY_FEE", "SHOP_FREE_DELIVERY_FROM"])
@pytest.mark.parametrize("value", ["4,90", "-1", "4.901", "free"])
def test_a_bad_delivery_amount_is_refused_at_load(tmp_path, name, value):
    with pytest.raises(ValueError, match=name):
        load_settings(environ={name: value}, env_file=tmp_path / "missing.env")


def test_the_review_confidence_is_a_float_and_a_bad_one_is_named(tmp_path):
    missing = tmp_path / "missing.env"
    assert load_settings(environ={}, env_file=missing).shop_review_confidence == 0.6
    settings = load_settings(environ={"SHOP_REVIEW_CONFIDENCE": " 0.45 "}, env_file=missing)
    assert settings.shop_review_confidence == 0.45 and isinstance(settings.shop_review_confidence, float)
    assert settings.as_environment()["SHOP_REVIEW_CONFIDENCE"] == "0.45"
    with pytest.raises(ValueError, match=r"SHOP_REVIEW_CONFIDENCE='high' is not a number"):
        load_settings(environ={"SHOP_REVIEW_CONFIDENCE": "high"}, env_file=missing)
    for out_of_range in ("1.5", "-0.1", "nan"):
        with pytest.raises(ValueError, match="SHOP_REVIEW_CONFIDENCE"):
            load_settings(environ={"SHOP_REVIEW_CONFIDENCE": out_of_range}, env_file=missing)


def test_a_bad_whole_number_names_its_variable(tmp_path):
    with pytest.raises(ValueError, match=r"WEB_PORT='eighty' is not a whole number"):
        load_settings(environ={"WEB_PORT": "eighty"}, env_file=tmp_path / "missing.env")
