"""Four eyes in Slack: twenty people clicking Approve at once run the plan once, and with a policy
file only the approvers its rule names may approve."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from klepaas.bot.runner import BotRunner
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from klepaas.storage import Storage
from klepaas.storage.policy_store import DeploymentLog
from tests.fakes.slack_server import FakeSlack, Message

CHANNEL = "C0OPS"
POLICY = """
default_role: viewer
users:
  U0ALICE: {roles: [operator]}
  U0BOB: {roles: [operator]}
  U0ROOT: {roles: [admin]}
approvals:
  - name: staging-writes
    match: {risk: [write], namespaces: [staging]}
    approvers: {roles: [admin]}
    self_approve: false
"""


def _buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def _approval(slack: FakeSlack, text: str, user: str) -> Message:
    _, ts = await slack.send_mention(text, user=user, channel=CHANNEL)
    return await slack.wait_for(
        lambda: next((m for m in slack.thread(CHANNEL, ts) if "approve" in _buttons(m.current)), None),
        what="the approval message",
    )


def _restarted_at(cluster: SandboxCluster, namespace: str, name: str) -> str | None:
    deployment = cluster.store.get(BY_KIND["Deployment"], namespace, name)
    return (deployment["spec"]["template"]["metadata"].get("annotations") or {}).get(
        "kubectl.kubernetes.io/restartedAt"
    )


async def test_twenty_simultaneous_approve_clicks_run_the_plan_exactly_once(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    approval = await _approval(slack, "restart checkout -n production", user="U0ALICE")
    clickers = [f"U0CLICK{n:02d}" for n in range(20)]

    await asyncio.gather(*(slack.send_block_action(approval, "approve", user=u) for u in clickers))
    await slack.wait_for(
        lambda: next((u for u in approval.updates if "Approved and done" in u["text"]), None),
        15,
        what="the approval message edited to done",
    )
    losers = await slack.wait_for(
        lambda: slack.ephemerals if len(slack.ephemerals) >= 19 else None, 15, what="19 late clickers told"
    )
    assert bot.bot is not None
    await asyncio.wait_for(bot.bot.deps.tasks.wait_idle(), 15)

    assert all("already approved" in e["text"] for e in losers) and len(losers) == 19
    assert bot.services is not None
    restarts = [e for e in bot.services.storage.audit.recent(50) if e.command == "restart"]
    assert [(e.outcome, e.approver in clickers) for e in restarts] == [("success", True)]
    assert len(DeploymentLog(bot.services.storage.engine).recent(app="checkout")) == 1
    assert _restarted_at(cluster, "production", "checkout") is not None


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """With `indirect` param "policy": the policy file above; else none (the open policy)."""
    if getattr(request, "param", None) != "policy":
        return {}
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return {"KLEPAAS_POLICY_FILE": path}


@pytest.mark.parametrize("settings_overrides", ["policy"], indirect=True)
async def test_only_an_approver_named_by_the_rule_may_approve_in_slack(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner, settings: Any
) -> None:
    approval = await _approval(slack, "restart web -n staging", user="U0ALICE")

    await slack.send_block_action(approval, "approve", user="U0BOB")  # an operator, not an admin
    await slack.send_block_action(approval, "approve", user="U0ALICE")  # the requester herself
    told = await slack.wait_for(
        lambda: slack.ephemerals if len(slack.ephemerals) >= 2 else None, what="both told"
    )
    await slack.send_block_action(approval, "approve", user="U0ROOT")
    await slack.wait_for(
        lambda: next((u for u in approval.updates if "Approved and done" in u["text"]), None),
        15,
        what="approved by the admin",
    )

    texts = sorted(json.dumps(e["text"]) for e in told)
    assert any("Only role admin may approve this (rule staging-writes)" in t for t in texts)
    assert any("cannot approve your own request" in t for t in texts)
    assert _restarted_at(cluster, "staging", "web") is not None
    storage = Storage.open(settings.storage.database_url)
    try:
        [row] = [e for e in storage.audit.recent(20) if e.command == "restart"]
    finally:
        storage.close()
    assert (row.outcome, row.rule, row.approver) == ("success", "staging-writes", "U0ROOT")


@pytest.mark.parametrize("settings_overrides", ["policy"], indirect=True)
async def test_deny_is_for_the_requester_or_an_approver_not_any_passer_by(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    approval = await _approval(slack, "restart web -n staging", user="U0ALICE")

    await slack.send_block_action(approval, "deny", user="U0EVE")  # a viewer (the default role)
    told = await slack.wait_for(lambda: slack.ephemerals or None, what="the viewer told")
    assert "approve" in _buttons(approval.current)  # still open
    await slack.send_block_action(approval, "deny", user="U0ALICE")  # the requester withdraws it
    await slack.wait_for(
        lambda: next((u for u in approval.updates if "Denied" in u["text"]), None), what="denied"
    )

    assert "Only role admin may approve this" in json.dumps(told[0]["text"])
    assert _restarted_at(cluster, "staging", "web") is None


async def test_an_approval_is_decided_only_from_its_own_message(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    """A click whose value names another approval (a value copied onto this message, or another
    channel's) decides nothing."""
    here = await _approval(slack, "restart checkout -n production", user="U0ALICE")
    _, ts = await slack.send_mention("restart payment -n production", user="U0ALICE", channel="C0OTHER")
    there = await slack.wait_for(
        lambda: next((m for m in slack.thread("C0OTHER", ts) if "approve" in _buttons(m.current)), None),
        what="the other approval",
    )
    their_id = next(
        e["value"] for b in there.current["blocks"] if b["type"] == "actions" for e in b["elements"]
    )

    await slack.send_block_action(here, "approve", user="U0BOB", value=their_id)
    told = await slack.wait_for(lambda: slack.ephemerals or None, what="the clicker told")

    assert "does not belong to that approval" in json.dumps(told[0]["text"])
    assert "approve" in _buttons(there.current) and "approve" in _buttons(here.current)
    assert _restarted_at(cluster, "production", "payment") is None


async def test_another_bots_mention_runs_nothing(slack: FakeSlack, bot: BotRunner) -> None:
    ts = slack.new_ts()
    await slack.send_event(
        {
            "type": "app_mention",
            "user": "U0OTHERBOT",
            "bot_id": "B0OTHER",
            "text": "<@U0BOT> status nginx",
            "ts": ts,
            "channel": CHANNEL,
        }
    )
    _, mine = await slack.send_mention("status nginx", user="U0ALICE", channel=CHANNEL)
    await slack.wait_for(lambda: slack.thread(CHANNEL, mine) or None, what="the person answered")

    assert slack.thread(CHANNEL, ts) == []
