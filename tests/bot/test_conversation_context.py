"""Follow-ups in Slack threads, through the local Slack and the real bot with the rules planner:
a thread remembers its last plan; another thread does not share it."""

from __future__ import annotations

import json
from typing import Any

from klepaas.bot.runner import BotRunner
from klepaas.handlers.slack.translate import actor, conversation_key
from klepaas.llm.planner import build_planner
from tests.fakes.slack_server import FakeSlack, Message

CHANNEL = "C0DEV"


def _buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _text(message: Message) -> str:
    return json.dumps(message.current["blocks"], ensure_ascii=False)


def _use_the_rules_planner(bot: BotRunner) -> None:
    assert bot.bot is not None and bot.services is not None
    bot.bot.deps.pipeline.planner = build_planner(bot.settings, bot.services.registry.infos())


async def test_a_follow_up_in_a_thread_scales_the_app_asked_about_and_goes_to_approval(
    slack: FakeSlack, bot: BotRunner
) -> None:
    _use_the_rules_planner(bot)
    _, thread = await slack.send_mention("nginx 상태", channel=CHANNEL)
    [status] = await slack.wait_for(lambda: slack.thread(CHANNEL, thread), what="the status reply")

    await slack.send_mention("3개로 늘려줘", channel=CHANNEL, thread_ts=thread)
    approval = await slack.wait_for(
        lambda: next((m for m in slack.thread(CHANNEL, thread) if "approve" in _buttons(m.current)), None),
        what="the approval message for the follow-up",
    )

    assert "nginx" in status.text
    assert "scale nginx --replicas 3 -n default" in _text(approval)


async def test_the_same_follow_up_in_another_thread_gets_a_question_not_a_plan(
    slack: FakeSlack, bot: BotRunner
) -> None:
    _use_the_rules_planner(bot)
    _, thread = await slack.send_mention("nginx 상태", channel=CHANNEL)
    await slack.wait_for(lambda: slack.thread(CHANNEL, thread), what="the status reply")

    _, other = await slack.send_mention("3개로 늘려줘", channel=CHANNEL)
    [answer] = await slack.wait_for(lambda: slack.thread(CHANNEL, other), what="the other thread's answer")

    assert _buttons(answer.current) == []
    assert "어떤 앱" in _text(answer)
    assert [m for m in slack.thread(CHANNEL, thread) if _buttons(m.current)] == []


def test_threads_dms_and_slash_commands_each_have_their_own_conversation() -> None:
    def key(user: str, channel: str, thread: str | None = None) -> str:
        return conversation_key(actor(user, workspace="T1", channel=channel, thread=thread))

    assert key("U1", "C1", "1.000100") == "slack:T1:C1:1.000100"  # a mention's thread, whoever writes
    assert key("U2", "C1", "1.000100") == key("U1", "C1", "1.000100")
    assert key("U1", "D1") == "slack:T1:D1"  # a direct message conversation
    assert key("U1", "C1") == "slack:T1:C1:U1"  # a slash command: this person in this channel
    assert key("U2", "C1") != key("U1", "C1")
