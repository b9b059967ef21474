"""The benchmark's production layout: `shop run --rasa-instances N --action-instances 2` with HAProxy, PostgreSQL,
Redis and RabbitMQ, started by the same launcher as the scale-out test (tests/e2e/scale_out.py), so that the two
measure and test one layout. Only the number of Rasa servers changes between the runs it compares."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from checkout.settings import PROJECT_ROOT
from cli.run_command import DEMO_CATALOG

sys.path.insert(0, str(PROJECT_ROOT))  # the launcher lives with the tests, beside the test that proves the layout
from tests.e2e.scale_out import missing_engine, scaled_shop  # noqa: E402

ACTION_SERVERS = 2


def layout_runs(instances: list[int], model: Path, measure: Callable[[str, int], float]) -> dict[int, float]:
    """For each number of Rasa servers, a fresh layout and `measure(rest_channel_url, n)`, its turns/s."""
    missing = missing_engine()
    if missing:
        raise SystemExit(f"the production layout cannot run here: {missing}")
    catalog = DEMO_CATALOG.read_text().replace(",10,hoodies,", ",1000000,hoodies,").encode()
    rates = {}
    for n in instances:
        with tempfile.TemporaryDirectory(prefix="shop-bench-layout-") as tmp:
            log = Path(tempfile.gettempdir()) / f"shop-bench-layout-{n}.log"
            with scaled_shop(Path(tmp), model, log, catalog, n, ACTION_SERVERS) as shop:
                print(f"\nProduction layout, {n} Rasa server(s) and {ACTION_SERVERS} action servers (log: {log})")
                rates[n] = measure(f"{shop.balancer_url}/webhooks/rest/webhook", n)
    return rates
