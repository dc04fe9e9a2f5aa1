"""The socket client reads and acks in a process of its own; Bolt still runs on the main loop, in order.

The local Slack runs on a thread of its own here too (as Slack is another machine), so that a busy
main loop holds up only the bot, not the server that times the acks.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from klepaas.bot.socket_mode import AckingSocketModeHandler, SocketRefused
from klepaas.bot.socket_process import SocketConfig
from tests.fakes.loop_thread import LoopThread
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


def _handler(slack: FakeSlack, app: AsyncApp, token: str = APP_TOKEN) -> AckingSocketModeHandler:
    return AckingSocketModeHandler(
        app, token, web_client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    )


@pytest.fixture
async def handler(remote_slack: tuple[FakeSlack, LoopThread]) -> AsyncIterator[AckingSocketModeHandler]:
    slack, on_slack = remote_slack
    recorder = Recorder(slack)
    handler = _handler(slack, recorder.app)
    handler.recorder = recorder  # type: ignore[attr-defined]
    await handler.connect_async()
    try:
        await on_slack.run(slack.wait_connected())
        yield handler
    finally:
        await handler.close_async()
    process = handler.process
    assert process is not None and process.returncode == 0, "the socket process outlived close"


@pytest.fixture
def recorder(handler: AckingSocketModeHandler) -> Recorder:
    recorder: Recorder = handler.recorder  # type: ignore[attr-defined]
    return recorder


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


async def test_after_a_refresh_request_the_socket_process_reconnects_and_keeps_acking(
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


async def test_a_socket_process_that_dies_is_started_again_and_acks_what_slack_sends_next(
    remote_slack: tuple[FakeSlack, LoopThread], handler: AckingSocketModeHandler, recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slack, on_slack = remote_slack
    monkeypatch.setattr("klepaas.bot.socket_mode.RESTART_DELAY_SECONDS", 0.05)
    first = handler.process
    assert first is not None and await handler.is_connected()

    first.kill()
    await first.wait()
    await on_slack.run(slack.wait_connected(2))
    envelope = await on_slack.run(slack.send_slash_command("after a crash"))
    acked = await on_slack.run(slack.wait_ack(envelope.envelope_id))
    texts = await recorder.wait_seen(1)

    assert handler.process is not first
    assert acked.acked_at is not None
    assert texts == ["after a crash"]
    assert await handler.is_connected()


async def test_a_refused_app_token_fails_connect_with_slacks_reason(
    remote_slack: tuple[FakeSlack, LoopThread],
) -> None:
    slack, _ = remote_slack
    handler = _handler(slack, Recorder(slack).app, token="xapp-not-a-token-slack-knows")

    with pytest.raises(SocketRefused, match="invalid_auth"):
        await handler.connect_async()
    await handler.close_async()

    assert handler.process is not None and handler.process.returncode == 1


async def test_the_socket_process_closes_its_socket_and_exits_when_the_bot_is_gone(
    remote_slack: tuple[FakeSlack, LoopThread],
) -> None:
    slack, on_slack = remote_slack
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "klepaas.bot.socket_process",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    config = SocketConfig(app_token=APP_TOKEN, base_url=slack.api_url, timeout=30, proxy=None,
                          ping_interval=10, log_level="WARNING")
    process.stdin.write(json.dumps(config).encode() + b"\n")
    first = json.loads(await asyncio.wait_for(process.stdout.readline(), 10))
    await on_slack.run(slack.wait_connected())

    process.stdin.close()  # as when the bot's process ends: the child reads the end of its input
    code = await asyncio.wait_for(process.wait(), 5)
    rest = [json.loads(line) for line in (await process.stdout.read()).splitlines()]
    socket_left = await on_slack.run(slack.wait_for(lambda: slack._open_socket() is None or None,
                                                    what="the socket closed"))

    assert first == {"connected": True}
    assert code == 0
    assert rest[-1] == {"closed": True}
    assert socket_left


async def test_ctrl_c_reaching_the_socket_process_leaves_it_to_the_bot_to_close(
    remote_slack: tuple[FakeSlack, LoopThread], handler: AckingSocketModeHandler, recorder: Recorder
) -> None:
    slack, on_slack = remote_slack
    process = handler.process
    assert process is not None

    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGTERM)
    envelope = await on_slack.run(slack.send_slash_command("still here"))
    acked = await on_slack.run(slack.wait_ack(envelope.envelope_id))

    assert acked.acked_at is not None
    assert await recorder.wait_seen(1) == ["still here"]
    assert handler.process is process and process.returncode is None
