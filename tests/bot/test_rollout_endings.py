"""A rollout that does not end well is not shown as done: a bot stopped while it follows one edits
the progress message one last time (saying how to see how the rollout ends), and an approved
change whose rollout fails says so on its approval message."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from klepaas.bot.runner import BotRunner
from klepaas.k8s.sandbox.cluster import SandboxCluster
from tests.fakes.slack_server import FakeSlack, Message
from tests.k8s.conftest import FAST


@pytest.fixture
async def cluster() -> AsyncIterator[SandboxCluster]:
    """Pods that take a second to be ready: a rollout to stop in the middle of."""
    slow = dataclasses.replace(FAST, pod_start_delay=0.5, pod_ready_delay=1.0)
    sandbox = SandboxCluster(with_samples=True, controller_options=slow)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def _buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def _approved(slack: FakeSlack, text: str) -> tuple[str, Message]:
    """Ask for `text` in C0OPS and have U0BOB approve it: the request's ts and the approval message."""
    _, ts = await slack.send_mention(text, channel="C0OPS")
    approval = await slack.wait_for(
        lambda: next((m for m in slack.thread("C0OPS", ts) if "approve" in _buttons(m.current)), None),
        what="the approval",
    )
    await slack.send_block_action(approval, "approve", user="U0BOB")
    return ts, approval


async def test_a_stopping_bot_says_it_stopped_following_the_rollout(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    ts, _ = await _approved(slack, "restart checkout -n production")
    progress = await slack.wait_for(
        lambda: next((m for m in slack.thread("C0OPS", ts) if m.text.startswith("Rolling out")), None),
        what="the progress message",
    )

    await bot.stop()

    last = json.dumps(progress.current["blocks"])
    assert "stopped following this rollout" in last
    assert "status checkout -n production" in last


async def test_an_approved_change_whose_rollout_fails_is_not_shown_as_done(
    slack: FakeSlack, cluster: SandboxCluster, bot: BotRunner
) -> None:
    _, approval = await _approved(slack, "deploy api image=ghcr.io/klepaas/api:crash -n staging")

    await slack.wait_for(
        lambda: "Approved, but it failed" in approval.current["text"] or None, 30, what="the failure shown"
    )
    shown = json.dumps(approval.current)
    assert "rollout failed" in shown
    assert "rollback" in _buttons(approval.current)
