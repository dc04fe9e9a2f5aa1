"""One bot, several workspaces: every request is answered with its own workspace's token (the
installation stored encrypted by the OAuth install), SLACK_BOT_TOKEN for the default workspace;
checked on the Authorization header of each Web API call the local Slack received."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from klepaas.bot.runner import BotRunner
from klepaas.commands.services import build_services
from klepaas.config import Settings, SideServerSettings
from klepaas.storage.installations import Sealer, SlackInstallations
from tests.bot.conftest import PLANNER_ANSWERS, ScriptedPlanner
from tests.fakes.slack_server import BOT_TOKEN, TEAM_ID, FakeSlack

KEY = Fernet.generate_key().decode()
OTHER_TEAM, OTHER_TOKEN = "T0OTHER", "xoxb-other-workspace-token"


@pytest.fixture
async def multi_bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[BotRunner]:
    configured = settings.model_copy(
        update={"side": SideServerSettings(KLEPAAS_ENCRYPTION_KEY=SecretStr(KEY))}
    )
    services = await build_services(configured, planner=ScriptedPlanner(PLANNER_ANSWERS))
    SlackInstallations(services.storage.engine, Sealer(KEY)).save(
        OTHER_TEAM, None, {"team_id": OTHER_TEAM, "bot_token": OTHER_TOKEN, "bot_user_id": "U0BOT"}
    )
    slack.team_tokens[OTHER_TOKEN] = OTHER_TEAM
    runner = BotRunner(configured, services=services, owns_services=True)
    connected = slack.hellos_sent
    try:
        await runner.start()
        await slack.wait_connected(connected + 1)
        yield runner
    finally:
        await runner.stop()


def _tokens_used_in(slack: FakeSlack, channel: str) -> set[str | None]:
    return {c.token for c in slack.calls if c.args.get("channel") == channel}


async def test_each_workspace_s_requests_are_answered_with_that_workspace_s_own_token(
    slack: FakeSlack, multi_bot: BotRunner
) -> None:
    await slack.send_slash_command("status api -n staging", channel="C0OTHER", team=OTHER_TEAM)
    await slack.send_slash_command("status api -n staging", channel="C0HOME", team=TEAM_ID)
    await slack.send_mention("status api -n staging", channel="C0OTHERMENTION", team=OTHER_TEAM)

    for channel in ("C0OTHER", "C0HOME", "C0OTHERMENTION"):
        await slack.wait_for(lambda c=channel: slack.channel_messages(c), what=f"the reply in {channel}")  # type: ignore[misc]

    assert _tokens_used_in(slack, "C0OTHER") == {OTHER_TOKEN}
    assert _tokens_used_in(slack, "C0OTHERMENTION") == {OTHER_TOKEN}
    assert _tokens_used_in(slack, "C0HOME") == {BOT_TOKEN}
    # Who the bot is in the other workspace was asked once, with that workspace's token.
    assert [c.token for c in slack.calls_to("auth.test")].count(OTHER_TOKEN) == 1


async def test_a_workspace_whose_stored_token_slack_refuses_gets_no_answer_with_another_workspace_s_token(
    slack: FakeSlack, multi_bot: BotRunner
) -> None:
    del slack.team_tokens[OTHER_TOKEN]  # the install was revoked on Slack's side

    envelope = await slack.send_slash_command("status api -n staging", channel="C0OTHER", team=OTHER_TEAM)
    await slack.wait_ack(envelope.envelope_id)
    await slack.send_slash_command("status api -n staging", channel="C0HOME", team=TEAM_ID)
    await slack.wait_for(lambda: slack.channel_messages("C0HOME"), what="the home workspace's reply")

    assert slack.channel_messages("C0OTHER") == []
    assert _tokens_used_in(slack, "C0HOME") == {BOT_TOKEN}
    assert OTHER_TOKEN in [c.token for c in slack.calls_to("auth.test")]  # asked, and refused
