"""Socket Mode: every envelope is acknowledged the moment it is read from the socket.

Bolt's aiohttp handler acks only after dispatching to a listener, and not at all when no listener
matched (it answers 404 and Slack would retry the event). We ack in the socket client's first
step instead — before the envelope is queued for Bolt — so the ack never waits behind other work
on the event loop, and events we do not handle are acknowledged too. Our listeners answer later
with messages, never through the ack's payload, so nothing is lost by acking empty.
Listeners still call `ack()` (Bolt expects it); it no longer sends anything.
"""

from __future__ import annotations

import json
import time
from typing import Any

from slack_bolt.adapter.socket_mode.async_base_handler import AsyncBaseSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.metrics import metrics


def envelope_id_of(raw: str) -> str | None:
    if not raw.startswith("{"):
        return None
    message: Any = json.loads(raw)
    envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
    return str(envelope_id) if envelope_id else None


def envelope_type_of(raw: str) -> str:
    message: Any = json.loads(raw)
    kind = message.get("type") if isinstance(message, dict) else None
    return str(kind) if kind else "unknown"


class AckOnReceiptClient(SocketModeClient):
    async def enqueue_message(self, message: str) -> None:
        received = time.perf_counter()
        envelope_id = envelope_id_of(message)
        if envelope_id is not None:
            await self.send_message(json.dumps({"envelope_id": envelope_id}))
            recorder = metrics()
            recorder.slack_ack_seconds.observe(time.perf_counter() - received)
            recorder.slack_envelopes.labels(envelope_type_of(message)).inc()
        await super().enqueue_message(message)


class AckingSocketModeHandler(AsyncBaseSocketModeHandler):
    """Bolt's AsyncSocketModeHandler with the ack moved to receipt (see the module doc)."""

    app: AsyncApp
    client: AckOnReceiptClient

    def __init__(self, app: AsyncApp, app_token: str, *, web_client: AsyncWebClient,
                 ping_interval: float = 10) -> None:
        self.app = app
        self.app_token = app_token
        self.client = AckOnReceiptClient(
            app_token=app_token, logger=app.logger, web_client=web_client, ping_interval=ping_interval
        )
        self.client.socket_mode_request_listeners.append(self.handle)

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        response = await run_async_bolt_app(self.app, req)
        if response.status not in (200, 404):
            self.app.logger.warning("Bolt answered %s to a %s envelope", response.status, req.type)

    async def is_connected(self) -> bool:
        return bool(await self.client.is_connected())
