"""Posts no Slack request started (the approval expiry sweep, alerts, GitHub deploy threads) go
with the token of the workspace that owns the channel, not SLACK_BOT_TOKEN. The local Slack knows
which channels belong to the second workspace and refuses them to any other token, as Slack does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from klepaas.bot.runner import BotRunner
from klepaas.commands.services import build_services
from klepaas.config import AlertSettings, PolicySettings, Settings, SideServerSettings
from klepaas.storage.installations import Sealer, SlackInstallations
from tests.bot.conftest import PLANNER_ANSWERS, ScriptedPlanner
from tests.fakes.slack_server import BOT_TOKEN, TEAM_ID, FakeSlack
from tests.side.conftest import add_project, example, sign, url

KEY = Fernet.generate_key().decode()
OTHER_TEAM, OTHER_TOKEN = "T0OTHER", "xoxb-other-workspace-token"
OTHER_ALERTS, OTHER_DEPLOYS, OTHER_OPS = "C0OTHERALERTS", "C0OTHERDEPLOY", "C0OTHEROPS"
HOME_ALERTS = "C0HOMEALERTS"


@pytest.fixture
async def two_workspaces(settings: Settings, slack: FakeSlack) -> AsyncIterator[BotRunner]:
    configured = settings.model_copy(update={
        "side": SideServerSettings(KLEPAAS_ENCRYPTION_KEY=SecretStr(KEY)),
        "policy": PolicySettings(KLEPAAS_APPROVAL_TTL=1),
        # staging's alerts go to the other workspace's channel, the rest to the home workspace's
        "alerts": AlertSettings(KLEPAAS_ALERT_CHANNEL=HOME_ALERTS,
                                KLEPAAS_ALERT_SEVERITY_CHANNELS=f"page={OTHER_ALERTS}",
                                KLEPAAS_ALERT_THROTTLE=0),
    })
    services = await build_services(configured, planner=ScriptedPlanner(PLANNER_ANSWERS))
    SlackInstallations(services.storage.engine, Sealer(KEY)).save(
        OTHER_TEAM, None, {"team_id": OTHER_TEAM, "bot_token": OTHER_TOKEN, "bot_user_id": "U0BOT"}
    )
    slack.team_tokens[OTHER_TOKEN] = OTHER_TEAM
    for channel in (OTHER_ALERTS, OTHER_DEPLOYS, OTHER_OPS):
        slack.channel_teams[channel] = OTHER_TEAM
    runner = BotRunner(configured, services=services, owns_services=True)
    connected = slack.hellos_sent
    try:
        await runner.start()
        await slack.wait_connected(connected + 1)
        assert runner.bot is not None
        runner.bot.deps.rollout_edit_interval = 0.0
        yield runner
    finally:
        await runner.stop()


def _tokens(slack: FakeSlack, method: str, channel: str) -> list[str | None]:
    return [c.token for c in slack.calls_to(method) if c.args.get("channel") == channel]


def _alert(status: str, severity: str) -> dict[str, object]:
    labels = {"alertname": "DiskFull", "namespace": "staging", "severity": severity}
    return {
        "version": "4", "groupKey": f'{{}}:{{alertname="DiskFull", severity="{severity}"}}', "status": status,
        "receiver": "klepaas", "groupLabels": {"alertname": "DiskFull"}, "commonLabels": labels,
        "commonAnnotations": {"summary": "disk is full"}, "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": status, "labels": labels, "annotations": {},
                    "startsAt": "2025-01-01T00:00:00Z"}],
    }


async def test_the_expiry_sweep_edits_an_approval_in_another_workspace_with_that_workspace_s_token(
    slack: FakeSlack, two_workspaces: BotRunner
) -> None:
    await slack.send_slash_command("restart checkout -n production", channel=OTHER_OPS, team=OTHER_TEAM)
    approval = await slack.wait_for(
        lambda: next(
            (m for m in slack.channel_messages(OTHER_OPS) if "approve" in json.dumps(m.blocks)), None
        ),
        what="the approval request in the other workspace",
    )

    expired = await slack.wait_for(
        lambda: next((u for u in approval.updates if "Expired" in json.dumps(u)), None),
        what="the approval message edited by the expiry sweep",
    )

    assert "approve" not in json.dumps(expired["blocks"])
    assert set(_tokens(slack, "chat.update", OTHER_OPS)) == {OTHER_TOKEN}


async def test_alerts_are_posted_and_edited_with_the_token_of_the_workspace_owning_their_channel(
    slack: FakeSlack, two_workspaces: BotRunner
) -> None:
    async with aiohttp.ClientSession() as http:
        for body in (_alert("firing", "page"), _alert("resolved", "page"), _alert("firing", "warning")):
            async with http.post(url(two_workspaces, "/api/v1/alerts"), json=body) as response:
                assert (response.status, (await response.json())["status"]) == (200, "ok")

    [other] = slack.channel_messages(OTHER_ALERTS)
    [home] = slack.channel_messages(HOME_ALERTS)
    assert "Resolved" in other.current["text"] and "Firing" in home.current["text"]
    assert _tokens(slack, "chat.postMessage", OTHER_ALERTS) == [OTHER_TOKEN]
    assert _tokens(slack, "chat.update", OTHER_ALERTS) == [OTHER_TOKEN]
    assert _tokens(slack, "chat.postMessage", HOME_ALERTS) == [BOT_TOKEN]
    # Which workspace owns a channel is asked once per channel, not before every post.
    assert sorted(c.args["channel"] for c in slack.calls_to("conversations.info")
                  if c.token == BOT_TOKEN) == [HOME_ALERTS, OTHER_ALERTS]


async def test_a_github_deploy_thread_goes_to_the_project_s_workspace_with_its_token(
    slack: FakeSlack, two_workspaces: BotRunner, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    add_project(two_workspaces, channel=OTHER_DEPLOYS, workspace=OTHER_TEAM)
    payload = example(github_examples, "push", ref="refs/heads/master")
    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-ws-1", "X-Hub-Signature-256": sign(body),
               "Content-Type": "application/json"}

    async with aiohttp.ClientSession() as http, http.post(
        url(two_workspaces, "/api/v1/cicd/webhook"), data=body, headers=headers
    ) as response:
        assert response.status == 202
    head = await slack.wait_for(lambda: next(iter(slack.channel_messages(OTHER_DEPLOYS)), None),
                                what="the deploy thread in the other workspace")
    await slack.wait_for(lambda: next((u for u in head.updates if "Deployed" in u["text"]), None),
                         timeout=30, what="the header's outcome")

    used = {c.token for c in slack.calls if c.args.get("channel") == OTHER_DEPLOYS}
    assert used == {OTHER_TOKEN}
    assert not slack.calls_to("conversations.info")  # the project knew its workspace


async def test_a_channel_of_the_home_workspace_keeps_slack_bot_token_with_installs_present(
    slack: FakeSlack, two_workspaces: BotRunner
) -> None:
    assert two_workspaces.bot is not None
    replier = two_workspaces.bot.deps.replier

    home = await replier.client_for("C0ANYWHERE")
    known = await replier.client_for("C0ANYWHERE", TEAM_ID)
    other = await replier.client_for("C0ANYWHERE", OTHER_TEAM)

    assert (home.token, known.token, other.token) == (BOT_TOKEN, BOT_TOKEN, OTHER_TOKEN)
