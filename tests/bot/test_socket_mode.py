"""The socket client reads and acks on a thread of its own; Bolt still runs on the main loop, in order.

The local Slack runs on a thread of its own here too (as Slack is another machine), so that a busy
main loop holds up only the bot, not the server that times the acks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.bot.socket_mode import AckingSocketModeHandler, LoopThread
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack


@pytest.fixture
async def remote_slack() -> AsyncIterator[tuple[FakeSlack, LoopThread]]:
    thread = LoopThread("fake-slack")

    async def start() -> FakeSlack:
        return await FakeSlack().start()

    slack = await thread.run(start())
    try:
        yield slack, thread
    finally:
        await thread.run(slack.stop())
        await thread.stop()


class Recorder:
    """A bare app whose /klepaas listener records each command's text and the thread it ran on."""

    def __init__(self, slack: FakeSlack) -> None:
        self.app = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url),
                            process_before_response=True, request_verification_enabled=False)
        self.seen: list[tuple[str, str]] = []
        self.blocking = threading.Event()  # set while the "block" listener holds the main loop
        self._arrived = asyncio.Condition()
        self.app.command("/klepaas")(self._command)

    async def _command(self, ack: Any, command: dict[str, Any]) -> None:
        await ack()
        self.seen.append((command["text"], threading.current_thread().name))
        if command["text"] == "block":
            self.blocking.set()
            time.sleep(1.0)  # on purpose: the main loop is stuck in earlier work
            self.blocking.clear()
        async with self._arrived:
            self._arrived.notify_all()

    async def wait_seen(self, count: int, timeout: float = 10.0) -> list[str]:
        async def _wait() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.seen) >= count)

        await asyncio.wait_for(_wait(), timeout)
        return [text for text, _ in self.seen]


@pytest.fixture
async def recorder(remote_slack: tuple[FakeSlack, LoopThread]) -> AsyncIterator[Recorder]:
    slack, on_slack = remote_slack
    recorder = Recorder(slack)
    handler = AckingSocketModeHandler(
        recorder.app, APP_TOKEN, web_client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    )
    await handler.connect_async()
    try:
        await on_slack.run(slack.wait_connected())
        yield recorder
    finally:
        await handler.close_async()
    left = [t for t in threading.enumerate() if t.name == "slack-socket"]
    assert not left, "the socket thread outlived close"


async def test_an_envelope_is_acked_while_the_main_loop_is_stuck_in_earlier_work(
    remote_slack: tuple[FakeSlack, LoopThread], recorder: Recorder
) -> None:
    slack, on_slack = remote_slack

    async def during_a_blocked_main_loop() -> tuple[float | None, bool]:
        """On the Slack thread: block the main loop, then send a command and wait for its ack."""
        await slack.send_slash_command("block")
        assert await asyncio.to_thread(recorder.blocking.wait, 5), "the main loop never blocked"
        envelope = await slack.send_slash_command("during")
        acked = await slack.wait_ack(envelope.envelope_id, timeout=0.8)
        return acked.ack_latency, recorder.blocking.is_set()

    latency, still_blocked = await on_slack.run(during_a_blocked_main_loop())
    texts = await recorder.wait_seen(2)

    assert still_blocked, "the ack came only after the main loop was free again"
    assert latency is not None and latency < 0.5
    assert texts == ["block", "during"]
    assert {name for _, name in recorder.seen} == {threading.main_thread().name}


async def test_envelopes_reach_the_listeners_in_the_order_they_were_read(
    remote_slack: tuple[FakeSlack, LoopThread], recorder: Recorder
) -> None:
    slack, on_slack = remote_slack

    async def send_many() -> None:
        for i in range(50):
            await slack.send_slash_command(f"n{i}")

    await on_slack.run(send_many())
    texts = await recorder.wait_seen(50)

    assert texts == [f"n{i}" for i in range(50)]
    assert all(e.acked_at is not None for e in slack.envelopes.values())


async def test_after_a_refresh_request_the_socket_thread_reconnects_and_keeps_acking(
    remote_slack: tuple[FakeSlack, LoopThread], recorder: Recorder
) -> None:
    slack, on_slack = remote_slack

    await on_slack.run(slack.request_refresh())
    await on_slack.run(slack.wait_connected(2))
    envelope = await on_slack.run(slack.send_slash_command("after refresh"))
    acked = await on_slack.run(slack.wait_ack(envelope.envelope_id))
    texts = await recorder.wait_seen(1)

    assert acked.acked_at is not None
    assert texts == ["after refresh"]
    assert len(slack.calls_to("apps.connections.open")) == 2
