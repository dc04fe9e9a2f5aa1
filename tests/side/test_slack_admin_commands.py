"""`project add | list | remove` and `token create | list | revoke` from Slack, against the local
Slack and the sandbox cluster: admins only, bad input told and nothing changed, channel names
stored as ids, and a new token's value shown only to the admin who asked."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from klepaas.bot.runner import BotRunner
from klepaas.storage.projects import Projects
from klepaas.storage.tokens import ApiTokens
from tests.bot.conftest import bot, start_bot
from tests.fakes.slack_server import FakeSlack

__all__ = ["bot", "start_bot"]

ADMIN, OPERATOR = "U0ADMIN", "U0ALICE"
HERE = "C0GENERAL"
TOKEN = re.compile(r"kp_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")
POLICY = f"""
default_role: viewer
users:
  {ADMIN}: {{roles: [admin]}}
  {OPERATOR}: {{roles: [operator]}}
"""


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return {"KLEPAAS_POLICY_FILE": path}


async def _reply(slack: FakeSlack, text: str, user: str = ADMIN) -> str:
    """Send a slash command; the text of the reply in the channel or to the person alone."""
    seen = len(slack.channel_messages(HERE)), len(slack.ephemerals_for(user))
    await slack.send_slash_command(text, user=user, channel=HERE)

    def answered() -> str | None:
        posted, told = slack.channel_messages(HERE)[seen[0] :], slack.ephemerals_for(user)[seen[1] :]
        if posted:
            return json.dumps({"text": posted[0].text, "blocks": posted[0].blocks}, ensure_ascii=False)
        if told:
            return json.dumps({"text": told[0]["text"], "blocks": told[0]["blocks"]}, ensure_ascii=False)
        return None

    return await slack.wait_for(answered, 20, what=f"the reply to {text!r}")


def _projects(bot: BotRunner) -> Projects:
    assert bot.services is not None
    return Projects(bot.services.storage.engine)


async def test_an_admin_adds_lists_and_removes_a_project_with_the_channel_name_stored_as_its_id(
    slack: FakeSlack, bot: BotRunner
) -> None:
    slack.channels = {"deploys": "C0DEPLOY", "general": HERE}

    added = await _reply(slack, "project add acme/api deploy=api ns=staging channel=#deploys")
    listed = await _reply(slack, "project list")
    project = _projects(bot).get("acme/api")
    removed = await _reply(slack, "project remove acme/api")

    assert "Project acme/api added: push → staging/api" in added
    assert project is not None
    assert (project.channel, project.namespace, project.deployment, project.image_template) == (
        "C0DEPLOY",
        "staging",
        "api",
        "ghcr.io/acme/api:{sha}",
    )
    assert "acme/api" in listed and "staging/api" in listed
    assert "Project acme/api removed." in removed
    assert _projects(bot).list() == []


async def test_a_channel_link_in_a_mention_is_stored_as_the_channel_id(
    slack: FakeSlack, bot: BotRunner
) -> None:
    _, ts = await slack.send_mention(
        "<@U0BOT> project add acme/web deploy=web ns=staging channel=<#C0WEB|web-deploys>",
        user=ADMIN,
        channel=HERE,
    )
    await slack.wait_for(lambda: slack.thread(HERE, ts), 20, what="the reply in the thread")

    project = _projects(bot).get("acme/web")
    assert project is not None and project.channel == "C0WEB"


@pytest.mark.parametrize(
    ("text", "user", "told"),
    [
        (
            "project add acme/api deploy=nope ns=staging channel=C0DEPLOY",
            ADMIN,
            "No deployment nope in namespace staging.",
        ),
        (
            "project add acme/api deploy=api container=sidecar channel=C0DEPLOY",
            ADMIN,
            "has no container sidecar",
        ),
        ("project add not-a-repo deploy=api channel=C0DEPLOY", ADMIN, "owner/name"),
        ("project add acme/api deploy=api channel=#no such channel", ADMIN, "project add"),
        ("project add acme/api deploy=api image=ghcr.io/acme/api:latest channel=C0DEPLOY", ADMIN, "{sha}"),
        ("project add acme/api deploy=api channel=C0DEPLOY", OPERATOR, "project_add needs admin:write"),
    ],
)
async def test_bad_project_input_or_a_non_admin_is_told_privately_and_nothing_is_stored(
    slack: FakeSlack, bot: BotRunner, text: str, user: str, told: str
) -> None:
    answer = await _reply(slack, text, user=user)

    assert told in answer
    assert slack.channel_messages(HERE) == []  # told to the person alone
    assert _projects(bot).list() == []


async def test_a_project_added_twice_is_refused_the_second_time(slack: FakeSlack, bot: BotRunner) -> None:
    await _reply(slack, "project add acme/api deploy=api channel=C0DEPLOY")
    again = await _reply(slack, "project add acme/api deploy=web channel=C0OTHER")

    assert "Project acme/api already exists." in again
    project = _projects(bot).get("acme/api")
    assert project is not None and (project.deployment, project.channel) == ("api", "C0DEPLOY")


async def test_token_create_shows_the_secret_only_to_the_admin_and_list_and_revoke_work(
    slack: FakeSlack, bot: BotRunner
) -> None:
    slack.channels = {"ops": "C0OPS"}
    assert bot.services is not None
    tokens = ApiTokens(bot.services.storage.engine)

    created = await _reply(slack, "token create claude scopes=mcp:execute,k8s:read channel=#ops")
    [token] = tokens.list()
    [private] = slack.ephemerals_for(ADMIN)
    [secret] = set(TOKEN.findall(json.dumps(private["blocks"])))
    verified = tokens.verify(secret)
    listed = await _reply(slack, "token list")
    revoked = await _reply(slack, f"token revoke {token.id}")

    assert f"Token {token.id} created" in created
    assert (token.name, sorted(token.scopes), token.channel, token.created_by) == (
        "claude",
        ["k8s:read", "mcp:execute"],
        "C0OPS",
        ADMIN,
    )
    assert verified is not None and verified.id == token.id
    assert token.id in listed and "kp_" not in listed
    everything_public = json.dumps(
        [(m.text, m.blocks, m.updates) for m in slack.messages.values()] + slack.responses
    )
    assert "kp_" not in everything_public
    history = bot.services.storage.history.recent(10)
    assert all("kp_" not in (entry.summary or "") for entry in history)
    assert f"Token {token.id} (claude) revoked." in revoked
    assert tokens.verify(secret) is None


async def test_an_operator_cannot_create_a_token_and_none_is_made(slack: FakeSlack, bot: BotRunner) -> None:
    answer = await _reply(slack, "token create mine scopes=k8s:write", user=OPERATOR)

    assert "token_create needs admin:write" in answer
    assert bot.services is not None
    assert ApiTokens(bot.services.storage.engine).list() == []


async def test_token_create_with_an_unknown_scope_names_the_known_ones(
    slack: FakeSlack, bot: BotRunner
) -> None:
    answer = await _reply(slack, "token create bad scopes=k8s:everything")

    assert "unknown scope(s) k8s:everything" in answer
    assert bot.services is not None
    assert ApiTokens(bot.services.storage.engine).list() == []
