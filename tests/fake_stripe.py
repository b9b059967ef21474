"""A fake Stripe API on loopback, for stripe-python (and the e2e stack) to talk to over real HTTP.

It speaks the Checkout Session calls we make (create, retrieve, expire) and the Refunds API (create, retrieve) the
way Stripe does: form-encoded bodies with bracketed keys, a Bearer secret key, idempotency keys (same key and body:
the first answer again; same key, other body: 400), Stripe's error objects, the 30-minute..24-hour bounds on
expires_at, and refunds only of a payment intent a completed session paid, once the whole of it. Tests script
failures (`fail_next`) and slow answers (`delay_next`), then read what was asked (`creates`, `refund_creates`).
Also here: the events and signatures Stripe's webhooks carry, and the Charge object `charge.refunded` carries."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

API_KEY = "sk_test_fake_0123456789"
WEBHOOK_SECRET = "whsec_test_fake_secret"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    form: dict
    raw: bytes

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


def decode_form(raw: bytes) -> dict:
    """`line_items[0][price_data][unit_amount]=5900` back into nested dicts and lists."""
    root: dict = {}
    for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


class FakeStripe:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        # What a new refund's status is in Stripe's answer (cards: mostly "succeeded" at once; some "pending").
        self.refund_status = "succeeded"
        self._replies: dict[str, tuple[bytes, int, dict]] = {}  # idempotency key -> (body, status, answer)
        self._failures: list[int] = []
        self._delays: list[float] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, *statuses: int) -> None:
        self._failures.extend(statuses)

    def delay_next(self, *seconds: float) -> None:
        self._delays.extend(seconds)

    @property
    def creates(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]

    @property
    def refund_creates(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/refunds"]

    # --- what happens on Stripe's side after the shopper leaves us ---------------------------------------------
    def complete(self, session_id: str, payment_status: str = "paid", **changes) -> dict:
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status=payment_status,
            url=None,
            payment_intent=f"pi_{uuid.uuid4().hex[:14]}",
            **changes,
        )
        return session

    def expire(self, session_id: str) -> dict:
        self.sessions[session_id].update(status="expired", url=None)
        return self.sessions[session_id]

    def settle_refund(self, refund_id: str, status: str = "succeeded", failure_reason: str | None = None) -> dict:
        """The refund reaches its end at the card network (what `refund.updated` then reports)."""
        refund = self.refunds[refund_id]
        refund["status"] = status
        if status == "failed":
            refund["failure_reason"] = failure_reason or "expired_or_canceled_card"
        return refund

    def charge(self, payment_intent: str) -> dict:
        """The Charge of a paid payment intent, as `charge.refunded` carries it."""
        session = next(s for s in self.sessions.values() if s.get("payment_intent") == payment_intent)
        refunded = self._refunded(payment_intent)
        return {
            "id": "ch_" + payment_intent[3:],
            "object": "charge",
            "amount": session["amount_total"],
            "amount_refunded": refunded,
            "currency": session["currency"],
            "payment_intent": payment_intent,
            "refunded": refunded >= session["amount_total"],
            "status": "succeeded",
        }

    def _refunded(self, payment_intent: str) -> int:
        """What went back of a payment intent (or is on its way): failed and canceled refunds gave nothing back."""
        return sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == payment_intent and r["status"] not in ("failed", "canceled")
        )

    # --- the HTTP side ------------------------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._serve(b"")

            def do_POST(self):
                self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _serve(self, raw: bytes):
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake._lock:
                    fake.requests.append(Recorded(self.command, self.path, headers, decode_form(raw), raw))
                    delay = fake._delays.pop(0) if fake._delays else 0
                    failure = fake._failures.pop(0) if fake._failures else None
                time.sleep(delay)
                status, answer = fake._answer(self.command, self.path, headers, raw, failure)
                body = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:12]}")
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

        return Handler

    def _answer(self, method: str, path: str, headers: dict, raw: bytes, failure: int | None) -> tuple[int, dict]:
        if headers.get("authorization") != f"Bearer {API_KEY}":
            return 401, error("invalid_request_error", "Invalid API Key provided.")
        if failure is not None:
            return failure, error("api_error", "Something went wrong on Stripe's end (scripted).")
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            session = self.sessions.get(path.rsplit("/", 1)[1])
            return (
                (200, session)
                if session
                else (404, error("invalid_request_error", "No such checkout.session", code="resource_missing"))
            )
        if method == "POST" and re.fullmatch(r"/v1/checkout/sessions/[^/]+/expire", path):
            session = self.sessions.get(path.split("/")[4])
            if session is None or session["status"] != "open":
                return 400 if session else 404, error("invalid_request_error", "Only open sessions can be expired.")
            return 200, self.expire(session["id"])
        if method == "GET" and path.startswith("/v1/refunds/"):
            refund = self.refunds.get(path.rsplit("/", 1)[1])
            return (
                (200, refund)
                if refund
                else (404, error("invalid_request_error", "No such refund", code="resource_missing"))
            )
        if method == "POST" and path in ("/v1/checkout/sessions", "/v1/refunds"):
            key = headers.get("idempotency-key")
            with self._lock:
                if key in self._replies:
                    first_body, status, answer = self._replies[key]
                    if first_body != raw:
                        return 400, error(
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with "
                            "the same parameters they were first used with.",
                        )
                    return status, answer
                create = self._create_session if path == "/v1/checkout/sessions" else self._create_refund
                status, answer = create(decode_form(raw))
                if key:
                    self._replies[key] = (raw, status, answer)
                return status, answer
        return 404, error("invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _create_refund(self, form: dict) -> tuple[int, dict]:
        payment_intent = form.get("payment_intent")
        session = next((s for s in self.sessions.values() if s.get("payment_intent") == payment_intent), None)
        if session is None:
            return 400, error(
                "invalid_request_error",
                f"No such payment_intent: '{payment_intent}'",
                code="resource_missing",
                param="payment_intent",
            )
        left = session["amount_total"] - self._refunded(payment_intent)
        if left <= 0:
            return 400, error(
                "invalid_request_error",
                f"Charge ch_{payment_intent[3:]} has already been refunded.",
                code="charge_already_refunded",
            )
        refund_id = f"re_{uuid.uuid4().hex[:24]}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": int(form.get("amount") or left),
            "currency": session["currency"],
            "charge": "ch_" + payment_intent[3:],
            "payment_intent": payment_intent,
            "metadata": form.get("metadata", {}),
            "reason": form.get("reason"),
            "status": self.refund_status,
            "failure_reason": None,
            "created": int(time.time()),
        }
        self.refunds[refund_id] = refund
        return 200, refund

    def _create_session(self, form: dict) -> tuple[int, dict]:
        now = int(time.time())
        try:
            expires_at = int(form.get("expires_at") or now + 86400)
            items = form["line_items"]
            amount = sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items)
            currency = items[0]["price_data"]["currency"]
            assert form["mode"] == "payment" and form["success_url"] and form["cancel_url"]
        except (KeyError, TypeError, ValueError, AssertionError, IndexError):
            return 400, error("invalid_request_error", "Missing or invalid parameters.")
        if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
            return 400, error(
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                param="expires_at",
            )
        session_id = f"cs_test_{uuid.uuid4().hex}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "currency": currency,
            "client_reference_id": form.get("client_reference_id"),
            "metadata": form.get("metadata", {}),
            "customer_email": form.get("customer_email"),
            "expires_at": expires_at,
            "created": now,
            "success_url": form["success_url"],
            "cancel_url": form["cancel_url"],
            "payment_intent": None,
            "livemode": False,
            "url": f"{self.url}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return 200, session


def error(kind: str, message: str, **more) -> dict:
    return {"error": {"type": kind, "message": message, **more}}


# --- webhooks -----------------------------------------------------------------------------------------------------


def stripe_event(kind: str, session: dict, event_id: str | None = None) -> dict:
    """An event carrying `session` (or any Stripe object: a refund, a charge) as data.object."""
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": kind,
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": dict(session)},
    }


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header, computed the way Stripe documents it: HMAC-SHA256 of "{t}.{body}"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
