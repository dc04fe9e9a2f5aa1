"""A hand-typed `silence_alert <group-key>` is checked against the namespace of the group being
silenced, not the channel's default: the channel here is bound to staging, the groups are in
production, and only staging may be changed from it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from klepaas.commands.builtin.silence import SilenceAlertArgs
from klepaas.config import PolicySettings, Settings
from klepaas.storage.alerts import AlertMessages
from tests.bot.conftest import StartBot
from tests.fakes.slack_server import FakeSlack

DEV = "C0DEV"
POLICY = """
default_role: viewer
users:
  U0ALICE: {roles: [operator]}
channels:
  C0DEV: {namespaces: [staging]}
"""
PROD_WATCH = "watch:default/production/api/CrashLoopBackOff"
STAGING_WATCH = "watch:default/staging/api/CrashLoopBackOff"
PROD_AM = "am:{}:{alertname=DiskFull}"  # Alertmanager did not group by namespace: only the row knows


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return settings.model_copy(update={"policy": PolicySettings(KLEPAAS_POLICY_FILE=policy)})


async def test_a_typed_group_key_is_checked_against_the_group_s_namespace_and_unknown_keys_are_told(
    start_bot: StartBot, slack: FakeSlack
) -> None:
    bot = await start_bot()
    assert bot.services is not None
    repo = AlertMessages(bot.services.storage.engine)
    for key, namespace in ((PROD_WATCH, "production"), (STAGING_WATCH, "staging"), (PROD_AM, "production")):
        await asyncio.to_thread(lambda k=key, n=namespace: repo.save(  # type: ignore[misc]
            key=k, source="watcher", channel="C0ALERTS", ts="1.0", digest="d", status="firing", namespace=n))

    unknown = "watch:x/staging/nope/Oops"
    for key in (PROD_WATCH, PROD_AM, unknown, STAGING_WATCH):
        text = f"silence_alert {key}"
        count = len(slack.ephemerals_for("U0ALICE")) + len(slack.channel_messages(DEV))
        await slack.send_slash_command(text, channel=DEV)
        await slack.wait_for(
            lambda c=count: len(slack.ephemerals_for("U0ALICE")) + len(slack.channel_messages(DEV)) > c,  # type: ignore[misc]
            what=f"the answer to {text}",
        )
    said = [e["text"] for e in slack.ephemerals_for("U0ALICE")]
    posted = [m.current["text"] for m in slack.channel_messages(DEV)]

    assert len(said) == 3 and "Not allowed" in said[0] and "production" in said[0]
    assert "namespace production, not staging" in said[1]
    assert "No alert group has the key `watch:x/staging/nope/Oops`" in said[2]
    assert len(posted) == 1 and "silenced this alert" in posted[0]
    assert [await asyncio.to_thread(repo.silenced_until, key) is not None
            for key in (PROD_WATCH, PROD_AM, STAGING_WATCH)] == [False, False, True]


def test_a_group_key_names_its_namespace_when_the_key_holds_one_and_a_typed_namespace_wins() -> None:
    watch = SilenceAlertArgs.model_validate({"target": PROD_WATCH})
    grouped = SilenceAlertArgs.model_validate({"target": 'am:{}:{alertname="X", namespace="payments"}'})
    ungrouped = SilenceAlertArgs.model_validate({"target": 'am:{}:{alertname="X"}'})
    typed = SilenceAlertArgs.model_validate({"target": PROD_WATCH, "namespace": "staging"})

    namespaces = [a.namespace for a in (watch, grouped, ungrouped, typed)]
    assert namespaces == ["production", "payments", None, "staging"]
