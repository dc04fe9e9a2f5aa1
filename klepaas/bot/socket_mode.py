"""Socket Mode: every envelope is acknowledged the moment it is read, on a thread of its own.

Bolt's aiohttp handler acks only after dispatching to a listener, and not at all when no listener
matched (it answers 404 and Slack would retry the event). We ack in the socket client's first
step instead, so events we do not handle are acknowledged too. Our listeners answer later with
messages, never through the ack's payload, so nothing is lost by acking empty; they still call
`ack()` (Bolt expects it), which no longer sends anything.

The socket client (reading, acks, pings, reconnects, refresh requests) runs on its own event loop
in a thread (`LoopThread`), so an ack never waits in the main loop's queue behind the work of
earlier commands (the pipeline, templates, Web API calls); it waits only for the GIL, for at most
the interpreter's switch interval (`klepaas.bot.runner.ACK_SWITCH_INTERVAL`). Each acked envelope
is handed to the main loop in the order it was read (`call_soon_threadsafe`), where Bolt and
everything it calls run as before; the Web API client the app uses stays on the main loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from slack_bolt.adapter.socket_mode.async_base_handler import AsyncBaseSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.metrics import metrics

T = TypeVar("T")

# Hands an acked envelope over to the main loop; called on the socket thread.
Deliver = Callable[[dict[str, Any]], None]


class LoopThread:
    """An event loop running on a daemon thread of its own; coroutines are run on it with `run`."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
            # Stopped: end what is left (the socket client's receiver, monitor, processor).
            left = asyncio.all_tasks(self.loop)
            for task in left:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on this thread's loop and wait for it from the caller's loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    async def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            await asyncio.to_thread(self._thread.join)


class AckOnReceiptClient(SocketModeClient):
    """Acks each envelope as it is read and `deliver`s it; hello and disconnect (refresh) messages
    stay with the SDK's own processing, on this client's loop. Build it on the loop it runs on."""

    def __init__(self, *, deliver: Deliver, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._deliver = deliver

    async def enqueue_message(self, message: str) -> None:
        received = time.perf_counter()
        parsed: Any = json.loads(message) if message.startswith("{") else None
        envelope_id = parsed.get("envelope_id") if isinstance(parsed, dict) else None
        if not envelope_id:
            await super().enqueue_message(message)
            return
        await self.send_message(json.dumps({"envelope_id": envelope_id}))
        recorder = metrics()
        recorder.slack_ack_seconds.observe(time.perf_counter() - received)
        recorder.slack_envelopes.labels(str(parsed.get("type") or "unknown")).inc()
        self._deliver(parsed)


def _socket_web_client(app_client: AsyncWebClient) -> AsyncWebClient:
    """The socket client's own Web API client (it only calls apps.connections.open, with the app
    token): like the app's, but without its aiohttp session, which belongs to the main loop."""
    return AsyncWebClient(
        base_url=app_client.base_url, timeout=app_client.timeout, ssl=app_client.ssl,
        proxy=app_client.proxy, headers=dict(app_client.headers),
    )


class AckingSocketModeHandler(AsyncBaseSocketModeHandler):
    """Bolt's AsyncSocketModeHandler with the ack moved to receipt and the socket to its own
    thread (see the module doc). Connect and close it from the main loop."""

    app: AsyncApp
    client: AckOnReceiptClient

    def __init__(self, app: AsyncApp, app_token: str, *, web_client: AsyncWebClient,
                 ping_interval: float = 10) -> None:
        self.app = app
        self.app_token = app_token
        self._web_client = _socket_web_client(web_client)
        self._ping_interval = ping_interval
        self._main_loop: asyncio.AbstractEventLoop | None = None
        self._socket: LoopThread | None = None
        self._handling: set[asyncio.Task[None]] = set()

    async def connect_async(self) -> None:
        self._main_loop = asyncio.get_running_loop()
        self._socket = LoopThread("slack-socket")
        self.client = await self._socket.run(self._build_client())
        await self._socket.run(self.client.connect())

    async def _build_client(self) -> AckOnReceiptClient:
        return AckOnReceiptClient(
            deliver=self._deliver, app_token=self.app_token, logger=self.app.logger,
            web_client=self._web_client, ping_interval=self._ping_interval,
        )

    def _deliver(self, message: dict[str, Any]) -> None:
        assert self._main_loop is not None
        self._main_loop.call_soon_threadsafe(self._dispatch, message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        """On the main loop, in the order the envelopes were read: start Bolt on this one."""
        request = SocketModeRequest.from_dict(message)
        if request is None:
            return
        task = asyncio.create_task(self.handle(self.client, request), name=f"slack {request.type}")
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        try:
            response = await run_async_bolt_app(self.app, req)
        except Exception:
            self.app.logger.exception("Bolt failed on a %s envelope", req.type)
            return
        if response.status not in (200, 404):
            self.app.logger.warning("Bolt answered %s to a %s envelope", response.status, req.type)

    async def is_connected(self) -> bool:
        if self._socket is None or not self._socket.running:
            return False
        return bool(await self._socket.run(self.client.is_connected()))

    async def disconnect_async(self) -> None:
        if self._socket is not None and self._socket.running:
            await self._socket.run(self.client.disconnect())

    async def close_async(self) -> None:
        if self._socket is None:
            return
        try:
            if self._socket.running:
                await self._socket.run(self.client.close())
        finally:
            await self._socket.stop()
        if self._handling:  # envelopes already acked: let Bolt hand them to their listeners
            await asyncio.wait(set(self._handling), timeout=5)
