"""The few WhatsApp Cloud API calls the gateway makes, over httpx: send a message, mark one read, fetch media.

pywa, the most active WhatsApp library, pins its Graph API host (it sets the client's base URL to
graph.facebook.com itself), so WHATSAPP_API_BASE_URL, and with it the tests' fake on loopback, could not be
honoured without patching its transport; and its webhook wants to own the route and dispatch before answering,
where we store first and answer at once. Five JSON calls do not need a framework.

Meta's errors come back as {"error": {"code", "message", ...}}; GraphError keeps the code, which says what to
do: 131047 outside the 24-hour window, 130429/131056/80007 throughput limits, 190 a bad token.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from checkout.settings import Settings
from checkout.whatsapp.window import OUTSIDE_WINDOW_CODE

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_MEDIA_BYTES = 16 * 1024 * 1024  # the Cloud API's own limit for images; documents go to 100 MB
RATE_LIMIT_CODES = {4, 80007, 130429, 131056}


class GraphError(Exception):
    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"HTTP {status}, error {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW_CODE

    @property
    def rate_limited(self) -> bool:
        """Meta refused the message for its throughput limits (the number's, or the pair limit for one shopper):
        nothing was sent, so sending it again a moment later cannot double it."""
        return self.status == 429 or self.code in RATE_LIMIT_CODES

    @property
    def transient(self) -> bool:
        """Meta or the path to it, not this message: try again later, slower."""
        return self.status == 429 or self.status >= 500 or self.code in RATE_LIMIT_CODES or self.code == 190


class GraphUnreachable(Exception):
    """No answer from the Graph API at all (network, timeout)."""


@dataclass(frozen=True)
class Media:
    url: str
    mime_type: str
    size: int | None


class GraphApi:
    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.base = settings.whatsapp_api_base_url.rstrip("/")
        self.phone_number_id = settings.whatsapp_phone_number_id
        self._auth = {"Authorization": f"Bearer {settings.whatsapp_access_token}"}
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT, limits=httpx.Limits(max_connections=32))

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, body: dict) -> str:
        """Sends one message body; returns its wamid."""
        answer = await self._call("POST", f"{self.base}/{self.phone_number_id}/messages", json=body)
        try:
            return str(answer.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise GraphError(answer.status_code, None, "no message id in the answer") from exc

    async def mark_read(self, wamid: str) -> None:
        """The shopper sees the blue ticks: we read what we answer."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        await self._call("POST", f"{self.base}/{self.phone_number_id}/messages", json=body)

    async def media(self, media_id: str) -> Media:
        answer = (await self._call("GET", f"{self.base}/{media_id}")).json()
        if not isinstance(answer, dict) or not isinstance(answer.get("url"), str):
            raise GraphError(200, None, "no media URL in the answer")
        size = answer.get("file_size")
        return Media(answer["url"], str(answer.get("mime_type") or "application/octet-stream"), _int(size))

    async def download(self, url: str, limit: int) -> bytes | None:
        """The media's bytes (the URL needs the token too); None when it is larger than `limit`."""
        try:
            async with self._client.stream("GET", url, headers=self._auth) as answer:
                if answer.status_code != 200:
                    raise GraphError(answer.status_code, None, "media download refused")
                content = bytearray()
                async for chunk in answer.aiter_bytes():
                    content += chunk
                    if len(content) > limit:
                        return None
                return bytes(content)
        except httpx.TransportError as exc:
            raise GraphUnreachable(str(exc)) from exc

    async def _call(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            answer = await self._client.request(method, url, headers=self._auth, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise GraphUnreachable(str(exc)) from exc
        if answer.status_code >= 400:
            raise _error(answer)
        return answer


def _error(answer: httpx.Response) -> GraphError:
    try:
        error = answer.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message") or answer.reason_phrase) if isinstance(error, dict) else answer.reason_phrase
    return GraphError(answer.status_code, code if isinstance(code, int) else None, message[:300])


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
