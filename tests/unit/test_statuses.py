"""Order and payment statuses are named once (checkout/statuses.py) and are the strings the database stores."""

from __future__ import annotations

import json

from sqlalchemy import CheckConstraint

from checkout.db.models import ORDER_STATUSES, Order
from checkout.settings import PROJECT_ROOT
from checkout.statuses import OrderStatus, PaymentStatus


def test_a_status_is_its_string_everywhere_it_is_written():
    assert OrderStatus.AWAITING_PAYMENT == "awaiting_payment" and f"{OrderStatus.PAID}" == "paid"
    assert json.dumps({"status": PaymentStatus.FLAGGED}) == '{"status": "flagged"}'
    assert ORDER_STATUSES == ("awaiting_payment", "paid", "fulfilled", "cancelled", "expired", "refunded")


def test_the_database_check_is_built_from_the_enum_and_matches_the_migration():
    [check] = [
        c for c in Order.__table__.constraints if isinstance(c, CheckConstraint) and c.name.endswith("status_known")
    ]
    sql = str(check.sqltext)
    assert sql == "status IN ('awaiting_payment','paid','fulfilled','cancelled','expired','refunded')"
    migration = (PROJECT_ROOT / "checkout/db/migrations/versions/0001_initial_schema.py").read_text()
    assert sql in migration
