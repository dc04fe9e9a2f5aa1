"""Silence 1h on an alert is the `silence_alert` command by whoever clicked: policy decides (a
viewer is refused), the audit records it, and the alert message says who silenced it until when."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from klepaas.config import AlertSettings, PolicySettings, Settings
from klepaas.storage import Storage
from tests.bot.conftest import StartBot
from tests.fakes.slack_server import FakeSlack

ALERT_CHANNEL = "C0ALERTS"
POLICY = """
default_role: viewer
users:
  U0ALICE: {roles: [operator]}
approvals:
  - match: {risk: [dangerous]}
    approvers: {roles: [admin]}
    self_approve: false
"""


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return settings.model_copy(update={
        "alerts": AlertSettings(KLEPAAS_ALERT_CHANNEL=ALERT_CHANNEL, KLEPAAS_WATCH_CLUSTER=True,
                                KLEPAAS_ALERT_THROTTLE=0.5, KLEPAAS_ALERT_CRASH_RESTARTS=2),
        "policy": PolicySettings(KLEPAAS_POLICY_FILE=policy),
    })


def _context_texts(message: dict[str, Any]) -> list[str]:
    return [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]


async def test_a_viewer_may_not_silence_an_alert_and_an_operator_silences_it_for_an_hour(
    start_bot: StartBot, slack: FakeSlack, settings: Settings
) -> None:
    bot = await start_bot()
    assert bot.services is not None and bot.monitoring.notifier is not None
    gateway = bot.services.clusters.get(None)
    await gateway.patch_deployment("staging", "api", {"spec": {"template": {"spec": {"containers": [
        {"name": "api", "image": "ghcr.io/klepaas/api:crash"}]}}}})
    [alert] = await slack.wait_for(lambda: slack.channel_messages(ALERT_CHANNEL), timeout=20,
                                   what="the crash alert")
    key = json.loads(alert.current["blocks"][-1]["elements"][3]["value"])["k"]
    repo = bot.monitoring.notifier.repo

    await slack.send_block_action(alert, "alert_silence", user="U0VIEWER")
    refusal = await slack.wait_for(lambda: next(iter(slack.ephemerals_for("U0VIEWER")), None),
                                   what="the viewer's refusal")
    assert "Not allowed" in refusal["text"]
    assert await asyncio.to_thread(repo.silenced_until, key) is None

    clicked = time.time()
    await slack.send_block_action(alert, "alert_silence", user="U0ALICE")
    note = await slack.wait_for(
        lambda: next((t for t in _context_texts(alert.current) if "Silenced by" in t), None),
        what="the alert message edited to say it is silenced",
    )
    until = await asyncio.to_thread(repo.silenced_until, key)
    assert until is not None
    assert note.startswith(":zzz: Silenced by <@U0ALICE> until ")
    assert 3600 <= until - clicked < 3600 + 60

    storage = Storage.open(settings.storage.database_url)
    try:
        rows = [r for r in storage.audit.recent(50) if r.command == "silence_alert"]
    finally:
        storage.close()
    assert {(r.actor_id, r.outcome) for r in rows} == {("U0VIEWER", "refused"), ("U0ALICE", "success")}

