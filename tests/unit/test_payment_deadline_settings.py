"""SHOP_PAYMENT_DEADLINE_HOURS and SHOP_MAX_OPEN_ORDERS as load_settings reads them, and the deadline job among
the processes `shop run` starts whatever the channels."""

from __future__ import annotations

from datetime import timedelta

import pytest

from checkout.settings import Settings, load_settings
from cli.run_command import process_specs


def test_the_defaults_are_72_hours_and_3_open_orders(tmp_path):
    settings = load_settings(environ={}, env_file=tmp_path / "missing.env")
    assert settings.shop_payment_deadline_hours == 72 and settings.payment_deadline == timedelta(hours=72)
    assert settings.shop_max_open_orders == 3


def test_the_deadline_takes_decimals(tmp_path):
    settings = load_settings(
        environ={"SHOP_PAYMENT_DEADLINE_HOURS": " 1.5 ", "SHOP_MAX_OPEN_ORDERS": "5"}, env_file=tmp_path / "m.env"
    )
    assert settings.payment_deadline == timedelta(minutes=90) and settings.shop_max_open_orders == 5
    assert load_settings(environ=settings.as_environment(), env_file=tmp_path / "m.env") == settings


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "8761", "three days"])
def test_a_deadline_that_is_not_a_positive_number_of_hours_is_refused_at_load(tmp_path, value):
    with pytest.raises(ValueError, match="SHOP_PAYMENT_DEADLINE_HOURS"):
        load_settings(environ={"SHOP_PAYMENT_DEADLINE_HOURS": value}, env_file=tmp_path / "missing.env")


@pytest.mark.parametrize("value", ["0", "-2", "1.5"])
def test_fewer_than_one_open_order_is_refused_at_load(tmp_path, value):
    with pytest.raises(ValueError, match="SHOP_MAX_OPEN_ORDERS"):
        load_settings(environ={"SHOP_MAX_OPEN_ORDERS": value}, env_file=tmp_path / "missing.env")


def test_shop_run_starts_the_deadline_job_with_no_channel_configured(tmp_path):
    specs = {s.name: s for s in process_specs(Settings(rasa_api_token="t"), tmp_path / "m.tar.gz", tmp_path / "e.yml")}
    assert specs["deadlines"].command[1:] == ["-m", "cli", "orders", "expire-unpaid", "--every", "60"]
