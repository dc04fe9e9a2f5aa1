"""The cluster watcher in the running bot: a crashing deploy in the sandbox is one enriched alert,
whose buttons run through policy and approval."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from klepaas.config import AlertSettings, Settings
from klepaas.k8s.gateway import KubeGateway
from klepaas.k8s.sandbox.cluster import SandboxCluster
from klepaas.k8s.sandbox.store import BY_KIND
from tests.bot.conftest import StartBot
from tests.fakes.slack_server import FakeSlack, Message

ALERT_CHANNEL = "C0ALERTS"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={
        "alerts": AlertSettings(KLEPAAS_ALERT_CHANNEL=ALERT_CHANNEL, KLEPAAS_WATCH_CLUSTER=True,
                                KLEPAAS_ALERT_THROTTLE=0.5, KLEPAAS_ALERT_CRASH_RESTARTS=2),
    })


def _blocks(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


async def _restarted(gateway: KubeGateway, namespace: str, app: str, count: int) -> None:
    """Until a pod of `app` has restarted `count` times (followed by a watch, not by polling)."""
    listed = await gateway.list_pods(namespace, label_selector=f"app={app}")
    version = listed.resource_version
    if any(pod.restarts >= count for pod in listed.items):
        return
    while True:
        stream = gateway.watch_pods(namespace, label_selector=f"app={app}", resource_version=version)
        async for event in stream:
            version = event.resource_version or version
            if event.object is not None and event.object.restarts >= count:
                return


async def test_a_crashing_deploy_is_one_enriched_alert_not_one_per_restart(
    start_bot: StartBot, slack: FakeSlack, cluster: SandboxCluster
) -> None:
    bot = await start_bot()
    assert bot.services is not None and bot.monitoring.watcher is not None
    await asyncio.wait_for(bot.monitoring.watcher.synced.wait(), 10)
    gateway = bot.services.clusters.get(None)

    await gateway.patch_deployment("staging", "api", {"spec": {"template": {"spec": {"containers": [
        {"name": "api", "image": "ghcr.io/klepaas/api:crash"}]}}}})

    [alert] = await slack.wait_for(lambda: slack.channel_messages(ALERT_CHANNEL), timeout=20,
                                   what="the crash alert")
    await asyncio.wait_for(_restarted(gateway, "staging", "api", 6), 20)

    assert len(slack.channel_messages(ALERT_CHANNEL)) == 1
    body = _blocks(alert.current)
    assert "CrashLoopBackOff" in alert.current["text"] and "api in staging" in alert.current["text"]
    assert "Last log lines" in body  # the failing pod's logs
    assert "Recent warnings" in body and "BackOff" in body  # its warning events
    buttons = [e["action_id"] for b in alert.current["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == ["alert_restart", "alert_rollback", "alert_logs", "alert_silence"]


async def test_the_restart_button_on_an_alert_asks_for_approval_and_restarts_once_approved(
    start_bot: StartBot, slack: FakeSlack, cluster: SandboxCluster
) -> None:
    bot = await start_bot()
    assert bot.services is not None
    gateway = bot.services.clusters.get(None)
    await gateway.patch_deployment("staging", "api", {"spec": {"template": {"spec": {"containers": [
        {"name": "api", "image": "ghcr.io/klepaas/api:crash"}]}}}})
    [alert] = await slack.wait_for(lambda: slack.channel_messages(ALERT_CHANNEL), timeout=20,
                                   what="the crash alert")

    await slack.send_block_action(alert, "alert_restart", user="U0ALICE")
    approval: Message = await slack.wait_for(
        lambda: next((m for m in slack.thread(ALERT_CHANNEL, alert.ts)
                      if "approve" in _blocks(m.current)), None),
        timeout=15, what="the approval request in the alert's thread",
    )
    assert "restart" in approval.text.lower()
    await slack.send_block_action(approval, "approve", user="U0BOB")

    def restarted() -> str | None:
        deployment = cluster.store.get(BY_KIND["Deployment"], "staging", "api")
        return (deployment["spec"]["template"]["metadata"].get("annotations") or {}).get(
            "kubectl.kubernetes.io/restartedAt")

    assert await slack.wait_for(restarted, timeout=15, what="the restart annotation")

