"""Slack ack latency: klepaas against a bare Bolt app, through the local Slack server, in one run.

    .venv/bin/python bench/slack_ack.py [--commands 500] [--replies 30]

Each variant gets its own local Slack (tests/fakes/slack_server.py) and receives `--commands`
`/klepaas status api -n staging` slash commands over a real WebSocket, one after another (the
next is sent when the previous is acked). The ack latency is measured by the server: from
writing the envelope to reading the ack. Variants:

- klepaas: the real bot (`BotRunner`) over the sandbox cluster with its sample apps (`klepaas
  sandbox` in a child process, as a real cluster is elsewhere), and SQLite;
  every command also runs for real in the background (status through the pipeline, the reply
  posted), so the acks compete with that work on the same event loop;
- bare Bolt, defaults: a listener that only calls `ack()`, `process_before_response=False`;
- bare Bolt, process_before_response=True: the same listener.

Then the time from a `status` slash command to its first visible reply (chat.postMessage), for
`--replies` commands sent one at a time on an idle bot (their ack latency is printed too: the
ack path without the background work of 500 other commands competing for the CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))



from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler  # noqa: E402
from slack_bolt.app.async_app import AsyncApp  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from klepaas.bot.runner import BotRunner  # noqa: E402
from klepaas.commands.services import build_services  # noqa: E402
from klepaas.config import (  # noqa: E402
    HttpSettings,
    KubeSettings,
    Settings,
    SlackSettings,
    StorageSettings,
)
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack  # noqa: E402

COMMAND = os.environ.get("BENCH_COMMAND", "status api -n staging")


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def _send_all(slack: FakeSlack, count: int) -> list[float]:
    """Send `count` slash commands one after another; the ack latency of each, in seconds."""
    latencies: list[float] = []
    for i in range(count):
        envelope = await slack.send_slash_command(COMMAND, user="U0BENCH", channel=f"C{i % 50:04d}")
        acked = await slack.wait_ack(envelope.envelope_id, timeout=10)
        assert acked.ack_latency is not None
        latencies.append(acked.ack_latency)
    return latencies


async def _bare_bolt(count: int, *, process_before_response: bool) -> list[float]:
    async with FakeSlack() as slack:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
        app = AsyncApp(client=client, process_before_response=process_before_response,
                       request_verification_enabled=False)

        @app.command("/klepaas")
        async def only_ack(ack: Any) -> None:
            await ack()

        handler = AsyncSocketModeHandler(app, APP_TOKEN, web_client=client)
        await handler.connect_async()
        try:
            await slack.wait_connected()
            await _send_all(slack, 5)  # warm up (Bolt's auth.test on the first request)
            return await _send_all(slack, count)
        finally:
            await handler.close_async()


class SandboxProcess:
    """`klepaas sandbox` in a child process: a real cluster is another process, so its work (and
    its garbage) should not run on the bot's interpreter and inflate the bot's ack latency."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Path:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "klepaas", "sandbox", "--port", "0", "--kubeconfig", str(self.kubeconfig),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, cwd=ROOT,
        )
        assert self.process.stdout is not None
        async with asyncio.timeout(60):
            while b"Sandbox cluster running" not in await self.process.stdout.readline():
                if self.process.returncode is not None:
                    raise RuntimeError("the sandbox did not start")
        return self.kubeconfig

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def _with_klepaas(body: Callable[[FakeSlack, BotRunner], Awaitable[Any]]) -> Any:
    with TemporaryDirectory() as tmp:
        async with SandboxProcess(Path(tmp) / "kubeconfig") as kubeconfig, FakeSlack() as slack:
            settings = Settings(
                slack=SlackSettings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN,
                                    SLACK_API_URL=slack.api_url),
                kube=KubeSettings(KUBECONFIG=kubeconfig),
                storage=StorageSettings(DATABASE_URL=f"sqlite:///{Path(tmp) / 'klepaas.db'}"),
                http=HttpSettings(KLEPAAS_HTTP_PORT=0),
            )
            runner = BotRunner(settings, services=await build_services(settings), owns_services=True)
            await runner.start()
            try:
                await slack.wait_connected()
                return await body(slack, runner)
            finally:
                await runner.stop()


async def _klepaas_acks(slack: FakeSlack, runner: BotRunner, count: int) -> list[float]:
    assert runner.bot is not None
    await _send_all(slack, 5)
    await runner.bot.deps.tasks.wait_idle()
    latencies = await _send_all(slack, count)
    await runner.bot.deps.tasks.wait_idle()
    answered = sum(1 for c in slack.calls_to("chat.postMessage") if c.args.get("channel", "").startswith("C"))
    assert answered >= count, f"only {answered} of {count} commands were answered"
    return latencies


idle_acks: list[float] = []


async def _ack_latency(slack: FakeSlack, envelope_id: str) -> float:
    acked = await slack.wait_ack(envelope_id, timeout=10)
    assert acked.ack_latency is not None
    return acked.ack_latency


async def _first_replies(slack: FakeSlack, runner: BotRunner, count: int) -> list[float]:
    """Seconds from sending a status command to its reply being posted, one at a time."""
    assert runner.bot is not None
    await runner.bot.deps.tasks.wait_idle()
    times: list[float] = []
    for i in range(count):
        channel = f"R{i:04d}"
        envelope = await slack.send_slash_command(COMMAND, user="U0BENCH", channel=channel)
        idle_acks.append(await _ack_latency(slack, envelope.envelope_id))
        call = await slack.wait_for(
            lambda ch=channel: next((c for c in slack.calls_to("chat.postMessage")
                                     if c.args.get("channel") == ch), None),
            timeout=10, what="the status reply",
        )
        times.append(call.at - envelope.sent_at)
    return times


def _row(name: str, values: list[float]) -> str:
    return (f"{name:<44} {_ms(statistics.median(values)):>8.2f} {_ms(_percentile(values, 0.99)):>8.2f} "
            f"{_ms(max(values)):>8.2f}")


async def main(commands: int, replies: int) -> None:
    logging.disable(logging.WARNING)

    async def klepaas_body(slack: FakeSlack, runner: BotRunner) -> tuple[list[float], list[float]]:
        acks = await _klepaas_acks(slack, runner, commands)
        return acks, await _first_replies(slack, runner, replies)

    started = time.perf_counter()
    klepaas, first = await _with_klepaas(klepaas_body)
    bolt_default = await _bare_bolt(commands, process_before_response=False)
    bolt_pbr = await _bare_bolt(commands, process_before_response=True)

    print(f"ack latency over {commands} slash commands, measured by the local Slack server (ms)")
    print(f"{'':<44} {'p50':>8} {'p99':>8} {'max':>8}")
    print(_row("klepaas (ack on receipt, work in a task)", klepaas))
    print(_row(f"klepaas, one command in flight (n={replies})", idle_acks))
    print(_row("bare Bolt, defaults (listener only acks)", bolt_default))
    print(_row("bare Bolt, process_before_response=True", bolt_pbr))
    print()
    print(f"`/klepaas {COMMAND}` to its first visible reply, {replies} one at a time (ms)")
    print(_row("klepaas", first))
    print(f"\n(total {time.perf_counter() - started:.1f} s; target: klepaas ack p99 < 5 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--replies", type=int, default=30)
    options = parser.parse_args()
    asyncio.run(main(options.commands, options.replies))
