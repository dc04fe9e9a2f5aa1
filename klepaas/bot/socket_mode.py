"""Socket Mode: every envelope is acknowledged the moment it is read, in a process of its own.

Bolt's aiohttp handler acks only after dispatching to a listener, and not at all when no listener
matched (it answers 404 and Slack would retry the event). We ack in the socket client's first
step instead, so events we do not handle are acknowledged too. Our listeners answer later with
messages, never through the ack's payload, so nothing is lost by acking empty; they still call
`ack()` (Bolt expects it), which no longer sends anything.

The socket client (reading, acks, pings, reconnects, refresh requests) runs in a child process
(`klepaas.bot.socket_process`), so an ack waits neither in the main loop's queue behind the work
of earlier commands nor for this interpreter's lock: a thread of our own would still take the GIL
two or three times per ack, behind the busy main thread and the Kubernetes and storage workers.
The child forwards each acked envelope over a pipe, in the order it was read; here, on the main
loop, Bolt and everything it calls run as before. If the child dies, it is started again (Slack
redelivers what was not acked); if the bot dies, the child sees its pipe close and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from typing import Any

from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.bot.socket_process import SocketConfig
from klepaas.logging import get_logger
from klepaas.metrics import metrics

log = get_logger(__name__)

# Between restarts of a socket process that keeps dying: doubled up to the maximum.
RESTART_DELAY_SECONDS = 1.0
RESTART_DELAY_MAX_SECONDS = 30.0
# How long close waits for the child to close its socket and for acked envelopes to be handled.
CLOSE_TIMEOUT_SECONDS = 5.0
# The longest line the child may send: one envelope (a block_actions payload carries a message).
_LINE_LIMIT = 2**25


class SocketRefused(ConnectionError):
    """The first connection failed: the reason, as the socket process saw it."""


class AckingSocketModeHandler:
    """Bolt's AsyncSocketModeHandler with the ack moved to receipt and the socket into a child
    process (see the module doc). Connect and close it from the main loop."""

    def __init__(self, app: AsyncApp, app_token: str, *, web_client: AsyncWebClient,
                 ping_interval: float = 10) -> None:
        self.app = app
        self._config = SocketConfig(
            app_token=app_token, base_url=web_client.base_url, timeout=web_client.timeout,
            proxy=web_client.proxy, ping_interval=ping_interval,
            log_level=logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        )
        self.process: asyncio.subprocess.Process | None = None
        self._connected = False
        self._closing = False
        self._first_state: asyncio.Future[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[None]] = set()

    async def connect_async(self) -> None:
        """Start the socket process and wait for its first connection (SocketRefused if refused)."""
        self._first_state = asyncio.get_running_loop().create_future()
        process = await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(process), name="slack socket process")
        await self._first_state

    async def _spawn(self) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "klepaas.bot.socket_process",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=_LINE_LIMIT,
        )
        self.process = process
        await self._send(self._config)
        return process

    async def _send(self, message: SocketConfig | dict[str, str]) -> None:
        process = self.process
        if process is None or process.stdin is None or process.returncode is not None:
            return
        with contextlib.suppress(ConnectionError):
            process.stdin.write(json.dumps(message).encode() + b"\n")
            await process.stdin.drain()

    async def _supervise(self, process: asyncio.subprocess.Process) -> None:
        """Read the child until it exits; start it again unless we are closing or it was refused."""
        delay = RESTART_DELAY_SECONDS
        while True:
            refused = await self._read(process)
            code = await process.wait()
            self._connected = False
            if self._closing or refused:
                return
            if self._first_state is not None and not self._first_state.done():
                self._first_state.set_exception(SocketRefused(f"the Slack socket process exited ({code})"))
                return
            log.error("the Slack socket process exited; starting another", code=code, delay=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_DELAY_MAX_SECONDS)
            if self._closing:
                return
            process = await self._spawn()

    async def _read(self, process: asyncio.subprocess.Process) -> bool:
        """Until the child's end of input; True if it said its connection was refused."""
        assert process.stdout is not None
        while line := await process.stdout.readline():
            message = json.loads(line)
            if "envelope" in message:
                self._dispatch(message["envelope"])
            elif "acked" in message:
                recorder = metrics()
                recorder.slack_ack_seconds.observe(message["seconds"])
                recorder.slack_envelopes.labels(message["acked"]).inc()
            elif "connected" in message:
                self._connected = bool(message["connected"])
                if self._connected and self._first_state is not None and not self._first_state.done():
                    self._first_state.set_result(None)
            elif "failed" in message:
                if self._first_state is not None and not self._first_state.done():
                    self._first_state.set_exception(SocketRefused(message["failed"]))
                    return True
                log.error("the Slack socket process could not connect", reason=message["failed"])
        return False

    def _dispatch(self, message: dict[str, Any]) -> None:
        """On the main loop, in the order the envelopes were read: start Bolt on this one."""
        request = SocketModeRequest.from_dict(message)
        if request is None:
            return
        task = asyncio.create_task(self._handle(request), name=f"slack {request.type}")
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _handle(self, req: SocketModeRequest) -> None:
        try:
            response = await run_async_bolt_app(self.app, req)
        except Exception:
            self.app.logger.exception("Bolt failed on a %s envelope", req.type)
            return
        if response.status not in (200, 404):
            self.app.logger.warning("Bolt answered %s to a %s envelope", response.status, req.type)

    async def is_connected(self) -> bool:
        return self._connected and self.process is not None and self.process.returncode is None

    async def disconnect_async(self) -> None:
        """Drop the connection; the socket process connects again, as after a network failure."""
        await self._send({"op": "disconnect"})

    async def close_async(self) -> None:
        """Close the socket, then let Bolt hand every envelope already acked to its listener."""
        self._closing = True
        if self._supervisor is None:
            return
        if self.process is None or self.process.returncode is not None:
            self._supervisor.cancel()  # between restarts: nothing to close
        await self._send({"op": "close"})
        try:
            await asyncio.wait_for(asyncio.shield(self._supervisor), CLOSE_TIMEOUT_SECONDS)
        except asyncio.CancelledError:
            if not self._supervisor.cancelled():
                raise
        except TimeoutError:
            log.warning("the Slack socket process did not close in time; killing it")
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self._handling:
            await asyncio.wait(set(self._handling), timeout=CLOSE_TIMEOUT_SECONDS)
