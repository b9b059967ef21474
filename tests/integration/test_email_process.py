"""`python -m checkout.email`, the process `shop run` starts when SMTP_URL is set: it sends what the outbox holds to
a real SMTP server on loopback, logs in without ever printing the password, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from checkout.email.kinds import OrderEmail
from checkout.email.transactional import queue_order_email
from checkout.settings import PROJECT_ROOT
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog
from tests.smtp_server import LoopbackSmtp

PASSWORD = "pr0cess-s3cret"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a login over plain SMTP, on loopback
def test_the_sender_process_sends_the_outbox_and_stops_on_sigterm(clean_db, tmp_path):
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        ana = add_customer(session, "web-ana", "Ana")
        order = add_order(session, ana, "PROC01", [("TEE-LOGO-BLK-M", 1)], at("2026-11-20 10:00"))
        order.customer_email = "ana@example.com"
        queue_order_email(session, order, OrderEmail.CONFIRMATION)

    with LoopbackSmtp(login=("shop", PASSWORD)) as smtp:
        environment = {
            **os.environ,
            "DATABASE_URL": clean_db.url.replace("postgresql+psycopg://", "postgresql://"),
            "SMTP_URL": f"smtp://shop:{PASSWORD}@127.0.0.1:{smtp.port}",
            "SHOP_EMAIL_FROM": "Loop Streetwear <shop@loop.example>",
            "LOG_LEVEL": "DEBUG",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "checkout.email"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            [received] = smtp.wait_for(1, timeout=60)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert received.message["Subject"] == "Your order PROC01 at Loop Streetwear"
    assert "sending through smtp://shop:***@127.0.0.1" in output
    assert "order emails only: campaign emails fail until this is fixed: SHOP_POSTAL_ADDRESS" in output
    assert PASSWORD not in output
