"""Whole conversations through the local Slack against the sandbox cluster: slash commands,
mentions answered in their thread, direct messages, App Home, errors, duplicates, a dropped socket."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from klepaas.bot.runner import BotRunner
from klepaas.k8s.sandbox import logs as sandbox_logs
from klepaas.llm.plan import Plan
from tests.fakes.slack_server import FakeSlack, Message


async def _settle(slack: FakeSlack, bot: BotRunner) -> None:
    """Wait until everything sent so far has been handled: a later request is answered (envelopes
    are dispatched in order, and acks now leave on receipt), then no spawned work is left."""
    channel = f"D0SETTLE{len(slack.calls)}"
    await slack.send_dm("help", user="U0SETTLE", channel=channel)
    await slack.wait_for(lambda: slack.channel_messages(channel), what="the settling request answered")
    assert bot.bot is not None
    await bot.bot.deps.tasks.wait_idle()


def _texts(message: dict[str, Any]) -> str:
    """All the text a person would read in a message, for loose assertions on content."""
    return json.dumps(message["blocks"], ensure_ascii=False)


async def test_a_slash_command_is_acked_at_once_and_answered_in_the_channel(
    slack: FakeSlack, bot: BotRunner
) -> None:
    envelope = await slack.send_slash_command("status api -n staging", user="U0ALICE", channel="C0DEV")

    acked = await slack.wait_ack(envelope.envelope_id)
    [reply] = await slack.wait_for(lambda: slack.channel_messages("C0DEV"), what="the status reply")

    assert acked.ack_payload is None and acked.ack_latency is not None and acked.ack_latency < 0.5
    assert reply.thread_ts is None
    assert "api" in reply.text
    assert "<@U0ALICE> · `/klepaas status api -n staging`" in _texts(reply.current)


async def test_a_slash_command_in_a_channel_the_bot_is_not_in_is_answered_through_its_response_url(
    slack: FakeSlack, bot: BotRunner
) -> None:
    slack.closed_channels.add("C0PRIVATE")

    await slack.send_slash_command("help", user="U0ALICE", channel="C0PRIVATE")
    [answer] = await slack.wait_for(lambda: slack.responses, what="the answer through response_url")

    assert answer["response_type"] == "in_channel"
    assert answer["blocks"][0]["text"]["text"] == "K-Le-PaaS commands"


async def test_a_slow_request_is_acked_at_once_and_answered_when_done(
    slack: FakeSlack, bot: BotRunner
) -> None:
    release = asyncio.Event()

    class SlowPlanner:
        async def plan(self, text: str, context: Any) -> Plan:
            await release.wait()
            return Plan(command="status", args={"name": "nginx"}, source="rules")

    assert bot.bot is not None
    bot.bot.deps.pipeline.planner = SlowPlanner()
    envelope = await slack.send_slash_command("how is nginx doing", user="U0ALICE", channel="C0DEV")

    acked = await slack.wait_ack(envelope.envelope_id)
    assert acked.ack_latency is not None and acked.ack_latency < 0.5
    assert slack.channel_messages("C0DEV") == []
    release.set()
    [reply] = await slack.wait_for(lambda: slack.channel_messages("C0DEV"), what="the answer after the wait")

    assert "nginx" in reply.text


async def test_help_lists_every_command_of_the_registry(slack: FakeSlack, bot: BotRunner) -> None:
    await slack.send_slash_command("help", channel="C0DEV")

    [reply] = await slack.wait_for(lambda: slack.channel_messages("C0DEV"), what="the help")

    assert bot.services is not None
    text = _texts(reply.current)
    for spec in bot.services.registry:
        assert spec.usage.split()[0] in text


async def test_a_mention_is_answered_in_its_thread(slack: FakeSlack, bot: BotRunner) -> None:
    envelope, ts = await slack.send_mention("status nginx", channel="C0DEV")

    await slack.wait_ack(envelope.envelope_id)
    [reply] = await slack.wait_for(lambda: slack.thread("C0DEV", ts), what="a reply in the thread")

    assert "nginx" in reply.text


async def test_a_direct_message_in_korean_is_answered_in_korean(slack: FakeSlack, bot: BotRunner) -> None:
    await slack.send_dm("api 상태 알려줘", channel="D0ALICE")

    [reply] = await slack.wait_for(lambda: slack.channel_messages("D0ALICE"), what="the DM answer")

    assert reply.thread_ts is None
    assert "api" in reply.text


async def test_a_change_needing_a_teammate_is_not_asked_for_in_a_dm_no_one_else_sees(
    slack: FakeSlack, bot: BotRunner
) -> None:
    await slack.send_dm("restart checkout -n production", channel="D0ALICE")

    def told() -> list[Any]:
        return [e for e in slack.ephemerals_for("U0ALICE") if "direct message" in json.dumps(e)]

    [error] = await slack.wait_for(told, what="the answer")

    assert "ask in a channel" in json.dumps(error)
    assert not [m for m in slack.channel_messages("D0ALICE") if "approve" in json.dumps(m.current)]


async def test_an_unknown_app_gets_a_short_ephemeral_error_with_what_to_do(
    slack: FakeSlack, bot: BotRunner
) -> None:
    await slack.send_slash_command("status nosuchapp -n staging", user="U0ALICE", channel="C0DEV")

    [error] = await slack.wait_for(lambda: slack.ephemerals_for("U0ALICE"), what="the ephemeral error")

    assert error["channel"] == "C0DEV"
    assert error["blocks"][0]["text"]["text"].startswith(":warning: ")
    assert "Traceback" not in json.dumps(error)
    assert slack.channel_messages("C0DEV") == []


async def test_a_malformed_command_gets_its_usage_back(slack: FakeSlack, bot: BotRunner) -> None:
    await slack.send_slash_command("scale api --replicas lots", user="U0ALICE", channel="C0DEV")

    [error] = await slack.wait_for(lambda: slack.ephemerals_for("U0ALICE"), what="the usage error")

    assert "usage: `scale" in _texts(error)


async def test_an_event_delivered_twice_is_answered_once(slack: FakeSlack, bot: BotRunner) -> None:
    first, ts = await slack.send_mention("status nginx", channel="C0DEV", event_id="Ev0DUPLICATE")
    event = first.payload["event"]
    await slack.send_event(event, event_id="Ev0DUPLICATE", retry_attempt=1, retry_reason="timeout")

    await slack.wait_for(lambda: slack.thread("C0DEV", ts), what="the answer")
    await _settle(slack, bot)

    assert len(slack.thread("C0DEV", ts)) == 1


async def test_a_retry_after_a_restart_is_not_run_again(
    slack: FakeSlack, bot: BotRunner, start_bot: Any
) -> None:
    first, ts = await slack.send_mention("status nginx", channel="C0DEV", event_id="Ev0ACROSSRESTART")
    await slack.wait_for(lambda: slack.thread("C0DEV", ts), what="the answer")
    await bot.stop()

    again = await start_bot()
    await slack.send_event(first.payload["event"], event_id="Ev0ACROSSRESTART", retry_attempt=0)
    await _settle(slack, again)

    assert len(slack.thread("C0DEV", ts)) == 1


async def test_events_we_do_not_handle_are_acked_and_channel_chatter_gets_no_reply(
    slack: FakeSlack, bot: BotRunner
) -> None:
    unknown = await slack.send_event({"type": "reaction_added", "user": "U0ALICE", "reaction": "tada"})
    chatter = await slack.send_event(
        {
            "type": "message",
            "channel_type": "channel",
            "channel": "C0DEV",
            "user": "U0ALICE",
            "text": "lunch?",
            "ts": slack.new_ts(),
        }
    )

    await slack.wait_ack(unknown.envelope_id)
    await slack.wait_ack(chatter.envelope_id)
    await _settle(slack, bot)

    assert slack.channel_messages("C0DEV") == [] and slack.ephemerals == []


async def test_opening_app_home_publishes_recent_activity_and_help(slack: FakeSlack, bot: BotRunner) -> None:
    await slack.send_slash_command("status api -n staging", user="U0ALICE", channel="C0DEV")
    await slack.wait_for(lambda: slack.channel_messages("C0DEV"), what="the status reply")

    await slack.send_app_home_opened(user="U0ALICE")
    [published] = await slack.wait_for(lambda: slack.views, what="views.publish")

    assert published["user_id"] == "U0ALICE" and published["view"]["type"] == "home"
    assert "`status`" in _texts(published["view"])


async def test_after_the_socket_drops_the_bot_reconnects_and_answers(
    slack: FakeSlack, bot: BotRunner
) -> None:
    await slack.drop_socket()
    await slack.wait_connected(count=2, timeout=15)

    envelope = await slack.send_slash_command("status nginx", channel="C0DEV")

    await slack.wait_ack(envelope.envelope_id)
    await slack.wait_for(lambda: slack.channel_messages("C0DEV"), what="the answer after reconnecting")


async def test_a_refresh_request_moves_the_bot_to_a_new_socket(slack: FakeSlack, bot: BotRunner) -> None:
    await slack.request_refresh()
    await slack.wait_connected(count=2)

    envelope = await slack.send_slash_command("status nginx", channel="C0DEV")

    await slack.wait_ack(envelope.envelope_id)
    await slack.wait_for(lambda: slack.channel_messages("C0DEV"), what="the answer (so it is audited)")


class _LaterClock:
    """`time` as the sandbox's log generator sees it: hours ahead, so running pods have long logs."""

    def __init__(self, hours: float) -> None:
        self.offset = hours * 3600

    def time(self) -> float:
        return time.time() + self.offset


async def test_huge_logs_go_up_as_a_file_in_the_thread_and_the_message_keeps_the_tail(
    slack: FakeSlack, bot: BotRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_logs, "time", _LaterClock(hours=6))
    _, ts = await slack.send_mention("logs api -n staging --lines 2000", channel="C0DEV")

    [reply] = await slack.wait_for(lambda: slack.thread("C0DEV", ts), what="the logs reply")
    assert "attached as a file" in _texts(reply.current), reply.current["blocks"][:2]
    upload = await slack.wait_for(
        lambda: next((u for u in slack.uploads.values() if u.channel == "C0DEV"), None),
        timeout=20,
        what="the log file",
    )

    assert upload.thread_ts == ts and upload.content is not None
    assert len(upload.content) > 3000
    for block in reply.current["blocks"]:
        assert len(block.get("text", {}).get("text", "")) <= 3000
    assert "attached as a file" in _texts(reply.current)


def _only(messages: list[Message]) -> Message:
    assert len(messages) == 1, messages
    return messages[0]
