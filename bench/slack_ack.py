"""Slack ack latency: klepaas against a bare Bolt app, through the local Slack server, in one run.

    .venv/bin/python bench/slack_ack.py [--commands 500] [--replies 30]

Each variant gets its own local Slack (tests/fakes/slack_server.py) and receives `--commands`
`/klepaas status api -n staging` slash commands over a real WebSocket, one after another (the
next is sent when the previous is acked). The ack latency is measured by the server: from
writing the envelope to reading the ack. The local Slack, and the loop that sends the commands,
run in a child process of their own (`--peer`), as Slack is another machine: its clock shares
neither the event loop nor the GIL with the bot. Variants:

- klepaas: the real bot (`BotRunner`) over the sandbox cluster with its sample apps (`klepaas
  sandbox` in a child process, as a real cluster is elsewhere), and SQLite; its socket client
  reads and acks in a process of its own (`klepaas.bot.socket_process`), while every command
  also runs for real in the bot's process (status through the pipeline, the reply posted), so
  the acks compete with that work for the CPU (two cores, shared with the sandbox and the peer);
- bare Bolt, defaults: a listener that only calls `ack()`, `process_before_response=False`;
- bare Bolt, process_before_response=True: the same listener.

Then the time from a `status` slash command to its first visible reply (chat.postMessage), for
`--replies` commands sent one at a time on an idle bot (their ack latency is printed too: the
ack path without the background work of 500 other commands competing for the CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
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


async def _first_replies(slack: FakeSlack, count: int) -> tuple[list[float], list[float]]:
    """One at a time: the ack latency of a status command and the time to its reply being posted."""
    acks: list[float] = []
    replies: list[float] = []
    for i in range(count):
        channel = f"R{i:04d}"
        envelope = await slack.send_slash_command(COMMAND, user="U0BENCH", channel=channel)
        acked = await slack.wait_ack(envelope.envelope_id, timeout=10)
        assert acked.ack_latency is not None
        acks.append(acked.ack_latency)

        def reply(ch: str = channel) -> Any:
            return next((c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == ch), None)

        call = await slack.wait_for(reply, timeout=10, what="the status reply")
        replies.append(call.at - envelope.sent_at)
    return acks, replies


# -- the local Slack in a child process -------------------------------------------------------------


async def serve_peer() -> None:
    """`--peer`: a local Slack driven by one JSON request per stdin line, one answer per stdout line."""
    async with FakeSlack() as slack:
        print(json.dumps({"api_url": slack.api_url}), flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            request = json.loads(line)
            op, count = request["op"], request.get("count", 0)
            answer: dict[str, Any] = {}
            if op == "wait_connected":
                await slack.wait_connected()
            elif op == "burst":
                answer["acks"] = await _send_all(slack, count)
            elif op == "replies":
                answer["acks"], answer["replies"] = await _first_replies(slack, count)
            elif op == "answered":
                answer["count"] = sum(1 for c in slack.calls_to("chat.postMessage")
                                      if c.args.get("channel", "").startswith("C"))
            elif op == "stamps":  # per envelope: id, written, ack read (perf_counter: one clock per host)
                answer["stamps"] = [(e.envelope_id, e.sent_at, e.acked_at) for e in slack.envelopes.values()]
            print(json.dumps(answer), flush=True)


class SlackPeer:
    """The parent's handle on a `--peer` child: its API URL and `ask(op, count=...)`."""

    def __init__(self, process: asyncio.subprocess.Process, api_url: str) -> None:
        self.process = process
        self.api_url = api_url

    async def ask(self, op: str, count: int = 0) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, "count": count}).encode() + b"\n")
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the local Slack process ended during {op!r}")
        answer: dict[str, Any] = json.loads(line)
        return answer


@asynccontextmanager
async def slack_peer() -> AsyncIterator[SlackPeer]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--peer", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        async with asyncio.timeout(30):
            first = await process.stdout.readline()
        yield SlackPeer(process, json.loads(first)["api_url"])
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


# -- the variants -----------------------------------------------------------------------------------


async def _bare_bolt(count: int, *, process_before_response: bool) -> list[float]:
    async with slack_peer() as slack:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
        app = AsyncApp(client=client, process_before_response=process_before_response,
                       request_verification_enabled=False)

        @app.command("/klepaas")
        async def only_ack(ack: Any) -> None:
            await ack()

        handler = AsyncSocketModeHandler(app, APP_TOKEN, web_client=client)
        await handler.connect_async()
        try:
            await slack.ask("wait_connected")
            await slack.ask("burst", 5)  # warm up (Bolt's auth.test on the first request)
            acks: list[float] = (await slack.ask("burst", count))["acks"]
            return acks
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


async def _with_klepaas(body: Callable[[SlackPeer, BotRunner], Awaitable[Any]]) -> Any:
    with TemporaryDirectory() as tmp:
        async with SandboxProcess(Path(tmp) / "kubeconfig") as kubeconfig, slack_peer() as slack:
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
                await slack.ask("wait_connected")
                return await body(slack, runner)
            finally:
                await runner.stop()


Figures = tuple[list[float], list[float], list[float]]


async def _klepaas(slack: SlackPeer, runner: BotRunner, commands: int, replies: int) -> Figures:
    """The burst's acks, then one command at a time: its ack and its first reply."""
    assert runner.bot is not None
    await slack.ask("burst", 5)
    await runner.bot.deps.tasks.wait_idle()
    await runner.warmed_up()  # its one full collection (~80 ms) would otherwise land in the burst
    burst: list[float] = (await slack.ask("burst", commands))["acks"]
    await runner.bot.deps.tasks.wait_idle()
    answered = (await slack.ask("answered"))["count"]
    assert answered >= commands, f"only {answered} of {commands} commands were answered"
    one_by_one = await slack.ask("replies", replies)
    return burst, one_by_one["acks"], one_by_one["replies"]


def _row(name: str, values: list[float]) -> str:
    return (f"{name:<44} {_ms(statistics.median(values)):>8.2f} {_ms(_percentile(values, 0.99)):>8.2f} "
            f"{_ms(max(values)):>8.2f}")


async def main(commands: int, replies: int) -> None:
    logging.disable(logging.WARNING)
    started = time.perf_counter()
    klepaas, idle_acks, first = await _with_klepaas(
        lambda slack, runner: _klepaas(slack, runner, commands, replies)
    )
    bolt_default = await _bare_bolt(commands, process_before_response=False)
    bolt_pbr = await _bare_bolt(commands, process_before_response=True)

    print(f"ack latency over {commands} slash commands, measured by the local Slack server (ms)")
    print(f"{'':<44} {'p50':>8} {'p99':>8} {'max':>8}")
    print(_row("klepaas (acks in the socket process)", klepaas))
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
    parser.add_argument("--peer", action="store_true", help="be the local Slack (the parent starts this)")
    options = parser.parse_args()
    asyncio.run(serve_peer() if options.peer else main(options.commands, options.replies))
