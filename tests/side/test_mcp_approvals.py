"""MCP write tools under a policy file: the approval is asked for on the policy's terms, in the
channel bound to the namespace, and the token's owner cannot approve their own request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from klepaas.bot.runner import BotRunner
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from klepaas.storage.approvals import Approvals
from klepaas.storage.tokens import ApiTokens
from tests.fakes.slack_server import FakeSlack
from tests.side.conftest import url

OWNER, ROOT, VIEWER = "U0ALICE", "U0ROOT", "U0BOB"
BOUND, TOKEN_CHANNEL = "C0STAGING", "C0OPS"
POLICY = f"""
default_role: viewer
users:
  {OWNER}: {{roles: [operator]}}
  {ROOT}: {{roles: [admin]}}
channels:
  {BOUND}: {{namespaces: [staging]}}
approvals:
  - name: staging-writes
    match: {{risk: [write], namespaces: [staging]}}
    approvers: {{roles: [operator, admin]}}
    self_approve: false
"""


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return {"KLEPAAS_POLICY_FILE": path}


async def _call(runner: BotRunner, token: str, tool: str, args: dict[str, Any]) -> Any:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client,
        streamable_http_client(url(runner, "/mcp/stream"), http_client=client) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return await session.call_tool(tool, args)


def _replicas(cluster: SandboxCluster) -> int:
    return int(cluster.store.get(BY_KIND["Deployment"], "staging", "api")["spec"]["replicas"])


async def test_an_mcp_write_in_a_bound_namespace_asks_in_the_bound_channel_and_the_owner_cannot_approve_it(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner
) -> None:
    assert side_bot.services is not None
    before = _replicas(cluster)
    _, token = ApiTokens(side_bot.services.storage.engine).create(
        name="claude",
        scopes=["mcp:execute", "k8s:read", "k8s:write"],
        created_by=OWNER,
        channel=TOKEN_CHANNEL,
    )

    called = await _call(side_bot, token, "scale", {"name": "api", "namespace": "staging", "replicas": 4})
    pending = called.structured_content
    message = await slack.wait_for(
        lambda: next(iter(slack.channel_messages(BOUND)), None), 20, what="the approval in the bound channel"
    )
    await slack.send_block_action(message, "approve", user=OWNER)
    await slack.send_block_action(message, "approve", user=VIEWER)
    refusals = await slack.wait_for(
        lambda: slack.ephemerals if len(slack.ephemerals) >= 2 else None, 20, what="both refusals"
    )
    entry = Approvals(side_bot.services.storage.engine).get(pending["approval_id"])
    assert entry is not None
    still_pending = (entry.status.value, _replicas(cluster))
    await slack.send_block_action(message, "approve", user=ROOT)
    await slack.wait_for(
        lambda: next((u for u in message.updates if "Approved" in u["text"]), None), 20, what="approved"
    )
    answer = await _call(side_bot, token, "get_approval", {"id": pending["approval_id"]})

    assert (pending["status"], pending["channel"]) == ("pending_approval", BOUND)
    assert slack.channel_messages(TOKEN_CHANNEL) == []
    assert entry.requester == OWNER and entry.self_approve is False
    texts = {e["user"]: json.dumps(e["text"]) for e in refusals}
    assert "cannot approve your own request" in texts[OWNER]
    assert "Only role operator or role admin may approve this (rule staging-writes)" in texts[VIEWER]
    assert still_pending == ("pending", before)
    approval = answer.structured_content["data"]["approval"]
    # Approved, and possibly already run: the scale follows the approval at once.
    assert (approval["status"] in {"approved", "executed"}, approval["decided_by"]) == (True, ROOT)
    await slack.wait_for(lambda: _replicas(cluster) == 4 or None, 20, what="scaled to 4")
    approvals = Approvals(side_bot.services.storage.engine)
    await slack.wait_for(
        lambda: ((e := approvals.get(pending["approval_id"])) is not None and e.status.value == "executed")
        or None,
        20,
        what="the approval marked executed",
    )


async def test_a_token_cannot_do_more_than_its_owner_s_role_allows(
    slack: FakeSlack, cluster: SandboxCluster, side_bot: BotRunner
) -> None:
    assert side_bot.services is not None
    _, token = ApiTokens(side_bot.services.storage.engine).create(
        name="viewer-bot", scopes=["mcp:execute", "k8s:write"], created_by=VIEWER, channel=TOKEN_CHANNEL
    )

    called = await _call(side_bot, token, "scale", {"name": "api", "namespace": "staging", "replicas": 4})

    assert called.is_error is True
    assert "scale needs k8s:write; your role (viewer) does not have it" in called.content[0].text
    audit = side_bot.services.storage.audit.recent(1)[0]
    assert (audit.command, audit.outcome, audit.rule) == ("scale", "refused", "role-scope")
    assert audit.actor_id.startswith("token:")
    assert slack.channel_messages(BOUND) == []
