"""The Socket Mode connection, in a process of its own: `python -m klepaas.bot.socket_process`.

It reads envelopes from Slack, acks each the moment it is read, and forwards it to the bot
(`klepaas.bot.socket_mode.AckingSocketModeHandler`, its parent). The ack shares no interpreter
lock and no event loop with the bot's command work, so however busy the bot is (a burst of
commands, templates, Web API calls, a listener that blocks its loop), Slack hears back within a
millisecond or two, and pings, reconnects and refresh requests are served on time.

The two talk in JSON lines over the child's standard streams (stderr is the bot's, for logs):

- parent → child: first the configuration (`SocketConfig`), then operations: `{"op": "disconnect"}`
  (drop the connection; the client reconnects) and `{"op": "close"}` (close and exit). End of input
  (the bot is gone) closes and exits too; SIGINT and SIGTERM are ignored, as the bot decides.
- child → parent: `{"connected": bool}` whenever the connection comes up or goes away,
  `{"envelope": {...}}` for each acked envelope, in the order read, then `{"acked": type,
  "seconds": s}` with how long the ack took, `{"failed": reason}` if the first connection is
  refused, and `{"closed": true}` last.

An envelope is acked before it is forwarded: if the ack cannot be sent (the socket just dropped),
nothing runs and Slack delivers the envelope again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import stat
import sys
import time
from collections.abc import Callable
from typing import Any, TypedDict

from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("klepaas.bot.socket_process")

Emit = Callable[[dict[str, Any]], None]

# How often the connection's state is looked at (reconnects happen inside the SDK's client).
STATE_POLL_SECONDS = 0.1


class SocketConfig(TypedDict):
    app_token: str
    base_url: str
    timeout: int
    proxy: str | None
    ping_interval: float
    log_level: str  # the bot's, for the SDK's and this module's logs


class ForwardingClient(SocketModeClient):
    """Acks each envelope as it is read, then `emit`s it; hello and disconnect (refresh) messages
    stay with the SDK's own processing."""

    def __init__(self, *, emit: Emit, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._emit = emit
        self._reported: bool | None = None

    def report(self, connected: bool) -> None:
        """Tell the parent the connection's state, if it changed."""
        if connected != self._reported:
            self._reported = connected
            self._emit({"connected": connected})

    async def issue_new_wss_url(self, *args: Any, **kwargs: Any) -> str:
        # Asked for on every (re)connection: not connected from here until connect() is done.
        if self._reported:
            self.report(False)
        url: str = await super().issue_new_wss_url(*args, **kwargs)
        return url

    async def connect(self) -> None:
        await super().connect()
        if not self.closed:
            self.report(True)

    async def enqueue_message(self, message: str) -> None:
        received = time.perf_counter()
        parsed: Any = json.loads(message) if message.startswith("{") else None
        envelope_id = parsed.get("envelope_id") if isinstance(parsed, dict) else None
        if not envelope_id:
            await super().enqueue_message(message)
            return
        await self.send_message(json.dumps({"envelope_id": envelope_id}))
        seconds = time.perf_counter() - received
        self._emit({"envelope": parsed})
        self._emit({"acked": str(parsed.get("type") or "unknown"), "seconds": seconds})


class _Pipe(asyncio.Protocol):
    """The write end towards the parent: writes never block (the transport buffers them), and
    `closed` is done once everything written has been flushed."""

    def __init__(self) -> None:
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def _parent_streams() -> tuple[asyncio.StreamReader, asyncio.WriteTransport, _Pipe]:
    loop = asyncio.get_running_loop()
    ops = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(ops), sys.stdin)
    # The protocol owns fd 1; anything else printing goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    transport, pipe = await loop.connect_write_pipe(_Pipe, out)
    return ops, transport, pipe


def _refusal(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return f"Slack refused the app-level token ({exc.response.get('error')})"
    return f"could not reach Slack: {type(exc).__name__}: {exc}"


async def _watch_connection(client: ForwardingClient) -> None:
    """A dropped socket is noticed by the SDK's monitor, which may wait before reconnecting."""
    while True:
        await asyncio.sleep(STATE_POLL_SECONDS)
        client.report(await client.is_connected())


async def serve() -> int:
    ops, transport, pipe = await _parent_streams()

    def emit(message: dict[str, Any]) -> None:
        if not transport.is_closing():
            transport.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    first = await ops.readline()
    if not first:
        return 0
    config: SocketConfig = json.loads(first)
    logging.getLogger().setLevel(config["log_level"])
    web_client = AsyncWebClient(
        base_url=config["base_url"], timeout=config["timeout"], proxy=config["proxy"]
    )
    client = ForwardingClient(
        emit=emit, app_token=config["app_token"], web_client=web_client,
        ping_interval=config["ping_interval"], logger=log,
    )
    try:
        # connect() retries a refused URL request forever; ask once first, so a refusal is told.
        client.wss_uri = await client.issue_new_wss_url()
        await client.connect()
    except Exception as exc:  # reported to the parent, which raises it
        emit({"failed": _refusal(exc)})
        await client.close()
        transport.close()
        await pipe.closed
        return 1
    watcher = asyncio.create_task(_watch_connection(client))
    try:
        while line := await ops.readline():
            op = json.loads(line).get("op")
            if op == "disconnect":
                await client.disconnect()
            elif op == "close":
                break
    finally:
        watcher.cancel()
        await client.close()
        emit({"closed": True})
        transport.close()
        await pipe.closed
    return 0


def _is_pipe(fd: int) -> bool:
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def main() -> None:
    if not (_is_pipe(0) and _is_pipe(1)):
        sys.exit("klepaas.bot.socket_process is started by `klepaas run`, which talks to it over pipes")
    # Ctrl-C in a terminal, or a service manager's SIGTERM, reaches the whole process group: the
    # bot then closes this process itself, after its last envelopes (end of input, or "close").
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(serve()))


if __name__ == "__main__":
    main()
