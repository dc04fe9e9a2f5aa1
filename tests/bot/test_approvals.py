"""The approval flow in Slack against the sandbox cluster: who may approve, deny, expiry, a restart
of the bot in between, double clicks, live rollouts and the Rollback button."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from klepaas.bot.runner import BotRunner
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from tests.bot.conftest import StartBot
from tests.fakes.slack_server import FakeSlack, Message

CHANNEL = "C0OPS"


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def _buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _restarted_at(cluster: SandboxCluster, namespace: str, name: str) -> str | None:
    deployment = cluster.store.get(BY_KIND["Deployment"], namespace, name)
    annotations = deployment["spec"]["template"]["metadata"].get("annotations") or {}
    return annotations.get("kubectl.kubernetes.io/restartedAt")


async def _ask(slack: FakeSlack, text: str, user: str = "U0ALICE") -> tuple[str, Message]:
    """Mention the bot with `text`; return the thread and the approval message posted in it."""
    _, ts = await slack.send_mention(text, user=user, channel=CHANNEL)
    approval = await slack.wait_for(
        lambda: next((m for m in slack.thread(CHANNEL, ts) if "approve" in _buttons(m.current)), None),
        what="the approval message",
    )
    return ts, approval


async def _decided(slack: FakeSlack, message: Message, word: str, timeout: float = 15.0) -> dict[str, Any]:
    return await slack.wait_for(
        lambda: next((u for u in reversed(message.updates) if word in u["text"]), None),
        timeout,
        what=f"the approval message edited to {word!r}",
    )


async def _progress(slack: FakeSlack, thread: str, word: str, timeout: float = 20.0) -> Message:
    return await slack.wait_for(
        lambda: next(
            (m for m in slack.thread(CHANNEL, thread) if "Roll" in m.text and word in m.current["text"]), None
        ),
        timeout,
        what=f"a rollout message reading {word!r}",
    )


async def test_a_write_asks_for_approval_with_the_plan_and_a_dry_run_preview(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    _, approval = await _ask(slack, "restart checkout -n production")

    text = _text(approval.current)
    assert approval.current["blocks"][0]["text"]["text"] == "Approval needed"
    assert "<@U0ALICE> asks to run:" in text
    assert "Restart deployment checkout in namespace production" in text
    assert "Dry-run preview" in text
    assert _buttons(approval.current) == ["approve", "deny"]
    assert _restarted_at(cluster, "production", "checkout") is None


async def test_the_requester_cannot_approve_their_own_production_change(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    _, approval = await _ask(slack, "restart checkout -n production", user="U0ALICE")

    await slack.send_block_action(approval, "approve", user="U0ALICE")
    [refusal] = await slack.wait_for(lambda: slack.ephemerals_for("U0ALICE"), what="the refusal")

    assert "cannot approve your own request" in refusal["text"]
    assert approval.updates == []
    assert _restarted_at(cluster, "production", "checkout") is None


async def test_another_user_approves_and_the_rollout_is_reported_live_in_the_thread(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    thread, approval = await _ask(slack, "restart checkout -n production", user="U0ALICE")

    await slack.send_block_action(approval, "approve", user="U0BOB")
    decided = await _decided(slack, approval, "Approved and done")
    progress = await _progress(slack, thread, "Rollout complete")

    assert "<@U0BOB>" in _text(decided) and _buttons(decided) == []
    assert _restarted_at(cluster, "production", "checkout") is not None
    assert progress.thread_ts == thread
    assert progress.updates, "the progress message is edited, not reposted"
    assert "3/3" in _text(progress.current)


async def test_the_requester_may_confirm_their_own_write_outside_production(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    _, approval = await _ask(slack, "scale web --replicas 3 -n staging", user="U0ALICE")

    await slack.send_block_action(approval, "approve", user="U0ALICE")
    await _decided(slack, approval, "Approved and done")

    assert cluster.store.get(BY_KIND["Deployment"], "staging", "web")["spec"]["replicas"] == 3


async def test_a_denied_request_changes_nothing_and_says_who_denied_it(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    _, approval = await _ask(slack, "restart checkout -n production")

    await slack.send_block_action(approval, "deny", user="U0BOB")
    denied = await _decided(slack, approval, "Denied")

    assert "<@U0BOB>" in _text(denied) and _buttons(denied) == []
    assert _restarted_at(cluster, "production", "checkout") is None


async def test_two_clicks_on_approve_run_the_plan_once(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    thread, approval = await _ask(slack, "restart checkout -n production")

    await slack.send_block_action(approval, "approve", user="U0BOB")
    await slack.send_block_action(approval, "approve", user="U0CAROL")
    await _decided(slack, approval, "Approved and done")
    await _progress(slack, thread, "Rollout complete")
    [loser] = await slack.wait_for(lambda: slack.ephemerals, what="the clicker who came second told")

    assert "already approved" in loser["text"]
    assert len([m for m in slack.thread(CHANNEL, thread) if "Roll" in m.text]) == 1
    assert bot.services is not None
    restarts = [e for e in bot.services.storage.audit.recent(10) if e.command == "restart"]
    assert [e.outcome for e in restarts] == ["success"]


@pytest.mark.parametrize("settings_overrides", [{"KLEPAAS_APPROVAL_TTL": 1}])
async def test_an_approval_nobody_answers_expires_and_can_no_longer_be_approved(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    _, approval = await _ask(slack, "restart checkout -n production")

    expired = await _decided(slack, approval, "Expired")
    await slack.send_block_action(approval, "approve", user="U0BOB", stale=True)
    [late] = await slack.wait_for(lambda: slack.ephemerals_for("U0BOB"), what="the late approver told")

    assert _buttons(expired) == []
    assert "expired" in late["text"]
    assert _restarted_at(cluster, "production", "checkout") is None


@pytest.mark.parametrize("settings_overrides", [{"KLEPAAS_APPROVAL_TTL": 1}])
async def test_an_approval_that_expires_while_the_bot_is_down_is_marked_expired_after_the_restart(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner, start_bot: StartBot
) -> None:
    _, approval = await _ask(slack, "restart checkout -n production")
    await bot.stop()
    updates_while_down = len(approval.updates)

    await start_bot()
    expired = await _decided(slack, approval, "Expired")

    assert updates_while_down == 0 and _buttons(expired) == []
    assert _restarted_at(cluster, "production", "checkout") is None


async def test_an_approval_survives_a_restart_of_the_bot(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner, start_bot: StartBot
) -> None:
    thread, approval = await _ask(slack, "restart checkout -n production")
    await bot.stop()

    await start_bot()
    await slack.send_block_action(approval, "approve", user="U0BOB")
    await _decided(slack, approval, "Approved and done")
    await _progress(slack, thread, "Rollout complete")

    assert _restarted_at(cluster, "production", "checkout") is not None


async def test_a_failed_deploy_offers_a_rollback_that_itself_needs_approval(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    thread, approval = await _ask(slack, "deploy api -n staging --image ghcr.io/klepaas/api:missing")
    await slack.send_block_action(approval, "approve", user="U0BOB")
    failed = await _progress(slack, thread, "Rollout failed", timeout=20)
    assert _buttons(failed.current) == ["rollback"]

    await slack.send_block_action(failed, "rollback", user="U0BOB")
    rollback = await slack.wait_for(
        lambda: next(
            (
                m
                for m in slack.thread(CHANNEL, thread)
                if m is not approval and "approve" in _buttons(m.current)
            ),
            None,
        ),
        what="the rollback's approval message",
    )
    assert "<@U0BOB> asks to run:" in _text(rollback.current)
    assert "Roll back deployment api" in _text(rollback.current)

    await slack.send_block_action(rollback, "approve", user="U0ALICE")
    await _decided(slack, rollback, "Approved and done", timeout=10)
    image = cluster.store.get(BY_KIND["Deployment"], "staging", "api")["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert image["image"] == "ghcr.io/klepaas/api:1.4.2"


async def test_a_slash_command_approval_is_posted_in_the_channel_and_followed_in_its_thread(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    await slack.send_slash_command("restart checkout -n production", user="U0ALICE", channel=CHANNEL)
    approval = await slack.wait_for(
        lambda: next(iter(slack.channel_messages(CHANNEL)), None), what="the approval message"
    )

    await slack.send_block_action(approval, "approve", user="U0BOB")
    progress = await _progress(slack, approval.ts, "Rollout complete")

    assert approval.thread_ts is None and progress.thread_ts == approval.ts
    await asyncio.wait_for(bot.bot.deps.tasks.wait_idle(), 5)  # type: ignore[union-attr]
