"""How fast `POST /webhooks/whatsapp` answers Meta, next to the floor of the same server (`GET /healthz`).

Meta retries a webhook that does not answer within seconds, so the answer must never wait for Rasa: it only
checks the signature and stores the messages. Starts the web app as `shop run` does (waitress, 8 threads) on a
fresh SQLite database (or DATABASE_URL with --database-url), then sends signed deliveries from concurrent
senders, each a new message of one of many chats, plus a retry of an earlier delivery now and then.

    .venv/bin/python scripts/whatsapp_webhook_latency.py --senders 1 16 --deliveries 300
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from checkout.db.migrate import upgrade
from checkout.settings import PROJECT_ROOT, load_settings
from cli.processes import ProcessSpec, Supervisor
from cli.scenario_runner import free_port

SECRET, PHONE_NUMBER_ID = "bench-app-secret", "109876543210"


def delivery(chat: int) -> bytes:
    message = {
        "from": f"35191{chat:07d}",
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "do you have the black hoodie in M?"},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Ana Lima"}, "wa_id": message["from"]}],
        "messages": [message],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload).encode()


def timed(client: httpx.Client, method: str, url: str, body: bytes | None = None) -> float:
    headers = {"Content-Type": "application/json"}
    if body is not None:
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    start = time.perf_counter()
    answer = client.request(method, url, content=body, headers=headers)
    elapsed = time.perf_counter() - start
    if answer.status_code != 200:
        raise RuntimeError(f"{method} {url}: {answer.status_code} {answer.text[:200]}")
    return elapsed


def run(base: str, senders: int, deliveries: int) -> tuple[list[float], list[float], float]:
    """(webhook seconds, floor seconds, wall seconds) for `deliveries` spread over `senders` threads."""
    bodies = [delivery(i % 500) for i in range(deliveries)]
    bodies += bodies[:: max(1, deliveries // 20)]  # Meta's retries: the same wamid again, stored once

    def send(chunk: list[bytes]) -> tuple[list[float], list[float]]:
        with httpx.Client(timeout=30) as client:
            hooks = [timed(client, "POST", f"{base}/webhooks/whatsapp", b) for b in chunk]
            floor = [timed(client, "GET", f"{base}/healthz") for _ in range(max(1, len(chunk) // 5))]
            return hooks, floor

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(senders) as pool:
        results = list(pool.map(send, [bodies[i::senders] for i in range(senders)]))
    wall = time.perf_counter() - start
    return [t for r in results for t in r[0]], [t for r in results for t in r[1]], wall


def ms(values: list[float], q: float) -> str:
    return f"{statistics.quantiles(values, n=100)[int(q) - 1] * 1000:6.1f}" if len(values) > 1 else "     -"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 16], help="concurrent senders, one run each")
    parser.add_argument("--deliveries", type=int, default=300, help="deliveries per run")
    parser.add_argument("--database-url", help="another database (PostgreSQL); a fresh SQLite file by default")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shop-wa-bench-"))
    settings = load_settings(environ={}, env_file=tmp / "none").replace(
        database_url=args.database_url or f"sqlite:///{tmp / 'shop.db'}",
        web_port=free_port(),
        shop_secret_key="bench",
        whatsapp_app_secret=SECRET,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
    )
    upgrade(settings.database_url)
    command = [sys.executable, "-m", "waitress", "--host", settings.web_host, "--port", str(settings.web_port)]
    command += ["--threads", "8", "--call", "web:create_app"]
    web = ProcessSpec("web", command, settings.as_environment(), ready_url=f"{settings.web_url}/healthz")
    log = (tmp / "web.log").open("w")
    supervisor = Supervisor([web], out=log, cwd=str(PROJECT_ROOT))
    supervisor.start()
    try:
        supervisor.wait_ready(timeout=60)
        run(settings.web_url, 1, 20)  # warm-up
        print("senders  deliveries  webhook p50/p95/max ms   floor p50/p95 ms   deliveries/s")
        for senders in args.senders:
            hooks, floor, wall = run(settings.web_url, senders, args.deliveries)
            print(
                f"{senders:7d}  {len(hooks):10d}  {ms(hooks, 50)} {ms(hooks, 95)} {max(hooks) * 1000:6.1f}"
                f"       {ms(floor, 50)} {ms(floor, 95)}      {len(hooks) / wall:8.1f}"
            )
    finally:
        supervisor.stop()
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
